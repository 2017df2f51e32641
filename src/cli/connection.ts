// Can this token read these organizations? Asked by `check`, and by a sync before it starts, so a
// wrong token, organization or host is one line that says what to fix, not a failure per endpoint.
import type { TapConfig } from '../config/config.js';
import { ApiError, failureTypeOf, TapError, type FailureType } from '../errors.js';
import type { AttemptNotice, PulumiClient } from '../io/http/client.js';

export interface Access {
  /** What to fix, when the token cannot read what the config asks for. */
  problem?: string;
  /** What kind of failure the problem is: a platform retries a transient one, not a config error. */
  failureType?: FailureType;
  user?: string;
}

/** The user document's login and organization names, read defensively: any JSON object is a user. */
function readUser(body: unknown): { login: string | undefined; organizations: string[] } {
  const user = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const list = Array.isArray(user.organizations) ? (user.organizations as unknown[]) : [];
  const organizations = list.flatMap((entry) => {
    const o = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    const name = o.githubLogin ?? o.name;
    return typeof name === 'string' && name !== '' ? [name] : [];
  });
  return { login: typeof user.githubLogin === 'string' ? user.githubLogin : undefined, organizations };
}

const isObject = (body: unknown): string | undefined => (typeof body === 'object' && body !== null && !Array.isArray(body) ? undefined : 'expected a JSON object');

/** A check should answer quickly: one retry at most. */
const ATTEMPTS = 2;

export interface VerifyOptions {
  signal?: AbortSignal;
  /** Told of every attempt, by endpoint, for request metrics. */
  onAttempt?: (endpoint: string, notice: AttemptNotice) => void;
}

export async function verifyAccess(client: PulumiClient, config: TapConfig, verify: VerifyOptions = {}): Promise<Access> {
  const options = (endpoint: string) => ({
    maxAttempts: Math.min(config.maxAttempts, ATTEMPTS),
    ...(verify.signal ? { signal: verify.signal } : {}),
    onAttempt: (notice: AttemptNotice) => verify.onAttempt?.(endpoint, notice),
    accept: isObject,
  });
  let user: ReturnType<typeof readUser>;
  try {
    user = readUser(await client.getJson<unknown>('/api/user', {}, options('/api/user')));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      return { problem: `Pulumi Cloud at ${config.baseUrl} rejected the access token (401 Unauthorized): check 'token' or PULUMI_ACCESS_TOKEN`, failureType: 'config_error' };
    }
    return { problem: describe(error), failureType: failureTypeOf(error) };
  }
  const known = user.organizations;
  // An organization the token's user belongs to needs no request; any other (an organization or team
  // token may not list it) is probed with a one-stack listing. Probes go side by side.
  const problems = await Promise.all(
    config.organizations.map(async (organization) => {
      if (known.includes(organization)) return undefined;
      try {
        await client.getJson('/api/user/stacks', { organization, maxResults: 1 }, options('/api/user/stacks'));
        return undefined;
      } catch (error) {
        if (error instanceof ApiError && (error.status === 404 || error.status === 403)) {
          const hint = known.length > 0 ? ` (this token's organizations: ${known.join(', ')})` : '';
          return { problem: `organization '${organization}' was not found or this token cannot read it (${error.status}); check 'organizations'${hint}`, failureType: 'config_error' as const };
        }
        return { problem: describe(error), failureType: failureTypeOf(error) };
      }
    }),
  );
  const failed = problems.find((p) => p !== undefined);
  return failed ?? { user: user.login ?? 'an unnamed user' };
}

function describe(error: unknown): string {
  return error instanceof TapError ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}
