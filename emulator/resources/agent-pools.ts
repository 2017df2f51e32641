// Deployment agent pools: GET /api/orgs/{org}/agent-pools, every pool in one answer, with the id of
// the default pool when there is one; 403 where the org may not register agents (the document's
// only refusal). Times are Unix seconds, as the document says (a client once read milliseconds).
import { CLOCK_START, Rng, type OrgData } from '../data.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';

export interface EmulatedAgentPool {
  id: string;
  name: string;
  description: string;
  /** Unix seconds. */
  created: number;
  /** Unix seconds of the last heartbeat of any agent. */
  lastSeen: number;
  status: 'online' | 'offline';
  /** Unix seconds; absent before the first deployment. */
  lastDeployment?: number;
  isDefault: boolean;
}

export interface OrgAgentPools {
  /** False for the orgs of `orgsWithoutAgentPools`. */
  available: boolean;
  pools: EmulatedAgentPool[];
}

export const AGENT_POOLS_FORBIDDEN = 'Forbidden';

const POOL_NAMES = ['default-pool', 'eks-runners', 'on-prem', 'gpu'];

export const agentPoolsData: OrgData<OrgAgentPools> = {
  name: 'agent-pools',
  generate(org, model) {
    const rng = Rng.of(org.seed, 'agent-pools');
    const count = rng.int(1, POOL_NAMES.length);
    const defaultIndex = rng.chance(0.5) ? 0 : -1;
    const pools = POOL_NAMES.slice(0, count).map((name, i): EmulatedAgentPool => {
      const created = CLOCK_START - rng.int(10 * 86_400, 500 * 86_400);
      const pool: EmulatedAgentPool = {
        id: rng.uuid(),
        name,
        description: rng.chance(0.6) ? `Agents for ${name}` : '',
        created,
        lastSeen: CLOCK_START - rng.int(5, 3 * 86_400),
        status: rng.chance(0.7) ? 'online' : 'offline',
        isDefault: i === defaultIndex,
      };
      if (rng.chance(0.7)) pool.lastDeployment = CLOCK_START - rng.int(60, 5 * 86_400);
      return pool;
    });
    return { available: !model.options.orgsWithoutAgentPools.includes(org.name), pools };
  },
};

export const agentPoolRoutes: Route[] = [
  route('GET', '/api/orgs/:org/agent-pools', (params, _query, { model }) => {
    const { available, pools } = knownOrg(model, params.org).get(agentPoolsData);
    if (!available) throw new HttpError(403, AGENT_POOLS_FORBIDDEN);
    const defaultPool = pools.find((p) => p.isDefault);
    return ok({ agentPools: pools, ...(defaultPool ? { defaultAgentPoolID: defaultPool.id } : {}) });
  }),
];
