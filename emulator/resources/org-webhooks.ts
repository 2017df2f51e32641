// Organization webhooks: GET /api/orgs/{org}/hooks, a bare JSON array of every webhook; 403 where
// the plan has no webhooks (the service's status there is not documented). Webhooks with a secret
// carry it in `secret`, which the service says it never sends, and in `secretCiphertext`: fakes
// that must never reach the tap's output, as must the credential in a Slack or Teams payload URL.
import { Rng, type OrgData } from '../data.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';

export type WebhookFormat = 'raw' | 'slack' | 'ms_teams' | 'pulumi_deployments';

export interface EmulatedWebhook {
  organizationName: string;
  name: string;
  displayName: string;
  payloadUrl: string;
  active: boolean;
  format?: WebhookFormat;
  filters?: string[];
  groups?: string[];
  hasSecret: boolean;
  /** Ciphertext of the signing secret ('' without one). */
  secretCiphertext: string;
  /** The signing secret, sent here by a server that should not. */
  secret?: string;
}

export interface OrgWebhooks {
  /** False for the orgs of `orgsWithoutWebhooks`. */
  available: boolean;
  hooks: EmulatedWebhook[];
}

export const WEBHOOKS_NOT_AVAILABLE = 'Forbidden: webhooks are not available on this plan';

const HOOKS: ReadonlyArray<{ name: string; displayName: string; format: WebhookFormat }> = [
  { name: 'slack-alerts', displayName: 'Slack alerts', format: 'slack' },
  { name: 'audit-sink', displayName: 'Audit sink', format: 'raw' },
  { name: 'teams-channel', displayName: 'Teams channel', format: 'ms_teams' },
];
const FILTERS = ['stack_update_succeeded', 'stack_update_failed', 'deployment_failed', 'environment_revision_created'];
const GROUPS = ['stacks', 'deployments', 'environments'];

/** A payload URL as each format has them: Slack and Teams URLs hold a credential in their path, a raw receiver one in its query. */
function payloadUrl(rng: Rng, format: WebhookFormat): string {
  const credential = rng.hex(24);
  if (format === 'slack') return `https://hooks.slack.com/services/T${rng.hex(8).toUpperCase()}/B${rng.hex(8).toUpperCase()}/${credential}`;
  if (format === 'ms_teams') return `https://example.webhook.office.com/webhookb2/${rng.uuid()}/IncomingWebhook/${credential}`;
  return `https://hooks.example.com/pulumi?token=${credential}`;
}

export const orgWebhooksData: OrgData<OrgWebhooks> = {
  name: 'org-webhooks',
  generate(org, model) {
    const rng = Rng.of(org.seed, 'org-webhooks');
    const count = rng.int(1, HOOKS.length);
    const hooks = HOOKS.slice(0, count).map((shape, i): EmulatedWebhook => {
      const hasSecret = i === 0 || shape.format === 'raw' || rng.chance(0.5);
      const hook: EmulatedWebhook = {
        organizationName: org.name,
        name: shape.name,
        displayName: shape.displayName,
        payloadUrl: payloadUrl(rng, shape.format),
        active: rng.chance(0.8),
        format: shape.format,
        hasSecret,
        secretCiphertext: hasSecret ? `v1:${rng.base64(12)}:${rng.base64(32)}` : '',
      };
      if (rng.chance(0.5)) hook.filters = FILTERS.filter(() => rng.chance(0.5));
      if (rng.chance(0.5)) hook.groups = GROUPS.filter(() => rng.chance(0.5));
      if (hasSecret) hook.secret = `whsec-${rng.hex(32)}`;
      return hook;
    });
    return { available: !model.options.orgsWithoutWebhooks.includes(org.name), hooks };
  },
};

export const orgWebhookRoutes: Route[] = [
  route('GET', '/api/orgs/:org/hooks', (params, _query, { model }) => {
    const { available, hooks } = knownOrg(model, params.org).get(orgWebhooksData);
    if (!available) throw new HttpError(403, WEBHOOKS_NOT_AVAILABLE);
    return ok(hooks);
  }),
];
