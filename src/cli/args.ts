// The command line, read with Node's own parser: Airbyte verbs (spec, check, discover, read) and
// Singer flags. A parsing library with its help layout took a quarter of a short command's start-up.
import { parseArgs as tokenize, type ParseArgsConfig } from 'node:util';
import { nearestName } from '../config/nearest.js';

export const AIRBYTE_VERBS = ['spec', 'check', 'discover', 'read'] as const;
export type Verb = (typeof AIRBYTE_VERBS)[number];

export interface ParsedArgs {
  verb: Verb | undefined;
  config: string[];
  catalog?: string;
  properties?: string;
  state?: string;
  discover: boolean;
  about: boolean;
  format: 'json' | 'markdown' | undefined;
  test: 'all' | 'schema' | undefined;
  version: boolean;
  help: boolean;
  debug: boolean;
}

export class UsageError extends Error {}

export const USAGE = [
  'Airbyte:  $0 spec | check --config F | discover --config F | read --config F --catalog F [--state F]',
  'Singer:   $0 --about [--format json|markdown] | --config F --discover | --config F [--catalog F | --properties F] [--state F]',
].join('\n');

const VERB_HELP: Record<Verb, string> = {
  spec: 'print the connector specification (Airbyte SPEC)',
  check: 'test the token and organizations (Airbyte CONNECTION_STATUS)',
  discover: 'print the catalog (Airbyte CATALOG)',
  read: 'sync the configured catalog (Airbyte messages)',
};

interface OptionSpec {
  /** What follows the option in the help; none for a flag. */
  value?: string;
  short?: string;
  help: string;
}

const OPTIONS = {
  config: { value: 'FILE', help: 'config JSON file; may repeat, later files win' },
  catalog: { value: 'FILE', help: 'configured catalog (Airbyte) or Singer catalog' },
  properties: { value: 'FILE', help: 'Singer catalog, older flag name' },
  state: { value: 'FILE', help: 'state file (Airbyte STREAM states or Singer bookmarks)' },
  discover: { help: 'Singer: print the catalog' },
  about: { help: 'Singer: describe the tap' },
  format: { value: 'json|markdown', help: 'with --about' },
  test: { value: '[all|schema]', help: "Singer: '--test' syncs one record per stream without state, '--test=schema' prints the schemas only" },
  debug: { help: 'debug logging, with stack traces' },
  version: { help: 'print the version' },
  help: { short: 'h', help: 'show this help' },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;
const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];

type TokenizerOption = NonNullable<ParseArgsConfig['options']>[string];

/** Not strict: this module, not the tokenizer, decides what is wrong and words it. */
const TOKENIZER_OPTIONS = Object.fromEntries(
  OPTION_NAMES.map((name): [string, TokenizerOption] => {
    const spec: OptionSpec = OPTIONS[name];
    return [name, { type: spec.value ? 'string' : 'boolean', ...(spec.short ? { short: spec.short } : {}) }];
  }),
);

function isOptionName(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

function takesValue(name: OptionName): boolean {
  const spec: OptionSpec = OPTIONS[name];
  return spec.value !== undefined;
}

export function helpText(program: string): string {
  const width = Math.max(...OPTION_NAMES.map((name) => optionLabel(name).length), ...AIRBYTE_VERBS.map((verb) => verb.length));
  return [
    USAGE.replaceAll('$0', program),
    '',
    'Commands:',
    ...AIRBYTE_VERBS.map((verb) => `  ${verb.padEnd(width)}  ${VERB_HELP[verb]}`),
    '',
    'Options:',
    ...OPTION_NAMES.map((name) => `  ${optionLabel(name).padEnd(width)}  ${OPTIONS[name].help}`),
  ].join('\n');
}

function optionLabel(name: OptionName): string {
  const spec: OptionSpec = OPTIONS[name];
  return `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
}

/** Reads argv; a misspelt, repeated or incomplete option is a UsageError that says which. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const { tokens } = tokenize({
    args: withOptionalTestValue(argv),
    options: TOKENIZER_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const positionals: string[] = [];
  const values = new Map<OptionName, string>();
  const config: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    if (!isOptionName(token.name)) {
      const nearest = nearestName(token.name, OPTION_NAMES);
      throw new UsageError(`unknown option '${token.rawName}'${nearest ? ` (did you mean '--${nearest}'?)` : ''}`);
    }
    const name = token.name;
    if (!takesValue(name)) {
      if (token.value !== undefined) throw new UsageError(`option '--${name}' takes no value`);
      values.set(name, '');
      continue;
    }
    // A value that looks like the next option means this one was given none.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) throw new UsageError(`option '--${name}' needs a value`);
    if (name === 'config') config.push(token.value);
    else if (values.has(name)) throw new UsageError(`option '--${name}' is given twice`);
    else values.set(name, token.value);
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const verb = positionals[0];
  if (verb !== undefined && !isVerb(verb)) throw new UsageError(`unknown command '${verb}'`);
  const catalog = values.get('catalog');
  const properties = values.get('properties');
  const state = values.get('state');
  return {
    verb,
    config,
    ...(catalog !== undefined ? { catalog } : {}),
    ...(properties !== undefined ? { properties } : {}),
    ...(state !== undefined ? { state } : {}),
    discover: values.has('discover'),
    about: values.has('about'),
    format: parseFormat(values.get('format')),
    test: parseTestFlag(values.get('test')),
    version: values.has('version'),
    help: values.has('help'),
    debug: values.has('debug'),
  };
}

function isVerb(word: string): word is Verb {
  return (AIRBYTE_VERBS as readonly string[]).includes(word);
}

/** Singer's `--test` may stand alone: then it means `--test=all`, and the next word is not its value. */
function withOptionalTestValue(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((arg, i) => {
    const next = argv[i + 1];
    const isOption = end === -1 || i < end;
    return isOption && arg === '--test' && (next === undefined || next.startsWith('-') || !['all', 'schema'].includes(next)) ? '--test=' : arg;
  });
}

function parseFormat(value: string | undefined): 'json' | 'markdown' | undefined {
  if (value === undefined || value === 'json' || value === 'markdown') return value;
  throw new UsageError(`--format takes 'json' or 'markdown', not '${value}'`);
}

function parseTestFlag(value: string | undefined): 'all' | 'schema' | undefined {
  if (value === undefined) return undefined;
  if (value === '' || value === 'all') return 'all';
  if (value === 'schema') return 'schema';
  throw new UsageError(`--test takes 'all' or 'schema', not '${value}'`);
}

/** Which options go together; a verb's own needs come first. */
export function validateCombination(args: ParsedArgs): void {
  const need = (condition: boolean, message: string) => {
    if (!condition) throw new UsageError(message);
  };
  if (args.verb) {
    need(!args.discover && !args.about && !args.test, `--discover, --about and --test are Singer flags; do not combine them with '${args.verb}'`);
    if (args.verb !== 'spec') need(args.config.length > 0, `'${args.verb}' needs --config FILE`);
    if (args.verb === 'read') need(args.catalog !== undefined, `'read' needs --catalog FILE`);
    return;
  }
  need(!(args.catalog && args.properties), 'give --catalog or --properties, not both');
  if (!args.about && !args.version && !args.help) need(args.config.length > 0, 'missing --config FILE (see --help)');
}
