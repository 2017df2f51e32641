/** Where the token may come from instead of the config: a module of its own, so that what only masks it loads nothing else. */
export const TOKEN_ENV = 'PULUMI_ACCESS_TOKEN';
