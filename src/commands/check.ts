// `check`: can this token read these organizations? Always answers with a CONNECTION_STATUS.
import { loadConfig } from '../config.js';
import { ApiError, messageOf, TapError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { createClient } from './client.js';

interface UserResponse {
  githubLogin?: string;
  organizations?: { githubLogin?: string; name?: string }[];
}

async function checkConnection(rt: Runtime, configPaths: readonly string[]): Promise<string | undefined> {
  const config = await loadConfig(configPaths, rt.env);
  rt.redactor.add(config.token);
  // A check should answer quickly: one retry at most.
  const client = createClient(rt, config, { maxAttempts: Math.min(config.maxAttempts, 2) });
  let user: UserResponse;
  try {
    user = await client.getJson<UserResponse>('/api/user');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      return `Pulumi Cloud at ${config.baseUrl} rejected the access token (401 Unauthorized): check 'token' or PULUMI_ACCESS_TOKEN`;
    }
    throw error;
  }
  for (const organization of config.organizations) {
    try {
      await client.getJson('/api/user/stacks', { organization, maxResults: 1 });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 403)) {
        const known = (user.organizations ?? []).map((o) => o.githubLogin ?? o.name).filter(Boolean);
        const hint = known.length > 0 ? ` (this token's organizations: ${known.join(', ')})` : '';
        return `organization '${organization}' was not found or this token cannot read it (${error.status})${hint}`;
      }
      throw error;
    }
  }
  rt.logger.info(`connected to ${config.baseUrl} as ${user.githubLogin ?? 'an unnamed user'}; organizations readable: ${config.organizations.join(', ')}`);
  return undefined;
}

export async function checkCommand(rt: Runtime, configPaths: readonly string[]): Promise<number> {
  let failure: string | undefined;
  try {
    failure = await checkConnection(rt, configPaths);
  } catch (error) {
    failure = error instanceof TapError ? error.message : `unexpected error: ${messageOf(error)}`;
    if (rt.debug && error instanceof Error && error.stack) rt.logger.debug(error.stack);
  }
  const connectionStatus = failure === undefined ? { status: 'SUCCEEDED' } : { status: 'FAILED', message: failure };
  await rt.out.write(JSON.stringify({ type: 'CONNECTION_STATUS', connectionStatus }));
  return 0;
}
