// Can this token read these organizations? Asked by `check`, and by a sync before it starts, so a
// wrong token, organization or host is one line that says what to fix, not a failure per endpoint.
import type { TapConfig } from '../config/config.js';
import { ApiError, TapError } from '../errors.js';
import type { AttemptNotice, PulumiClient } from '../io/http/client.js';

interface UserResponse {
  githubLogin?: string;
  organizations?: { githubLogin?: string; name?: string }[];
}

export interface Access {
  /** What to fix, when the token cannot read what the config asks for. */
  problem?: string;
  user?: string;
}

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
  });
  let user: UserResponse;
  try {
    user = await client.getJson<UserResponse>('/api/user', {}, options('/api/user'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      return { problem: `Pulumi Cloud at ${config.baseUrl} rejected the access token (401 Unauthorized): check 'token' or PULUMI_ACCESS_TOKEN` };
    }
    return { problem: describe(error) };
  }
  const known = (user.organizations ?? []).map((o) => o.githubLogin ?? o.name).filter((name): name is string => typeof name === 'string' && name !== '');
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
          return `organization '${organization}' was not found or this token cannot read it (${error.status}); check 'organizations'${hint}`;
        }
        return describe(error);
      }
    }),
  );
  const problem = problems.find((p) => p !== undefined);
  return problem === undefined ? { user: user.githubLogin ?? 'an unnamed user' } : { problem };
}

function describe(error: unknown): string {
  return error instanceof TapError ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}
