// The organization-level streams (organizations, org_access_tokens, oidc_issuers, agent_pools,
// org_webhooks, policy_packs, resource_usage_daily, resources): their conversions, the plans that
// lack a feature, the usage look-back window, and search pages named by URL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RESOURCE_SEARCH_PAGE_LIMIT } from '../emulator/resources/resource-search.js';
import { PulumiEmulator, type RequestLogEntry } from '../emulator/server.js';
import { RecordError } from '../src/errors.js';
import { parseConfig } from '../src/config/config.js';
import { agentPools, poolSeconds } from '../src/streams/agent-pools.js';
import { jwksKeys, oidcIssuers } from '../src/streams/oidc-issuers.js';
import { orgAccessTokens, unixOrNever } from '../src/streams/org-access-tokens.js';
import { orgWebhooks, payloadOrigin } from '../src/streams/org-webhooks.js';
import { featureFlags, organizations } from '../src/streams/organizations.js';
import { latestVersion, policyPacks } from '../src/streams/policy-packs.js';
import { dayStart, lookbackDaysFor, MAX_LOOKBACK_DAYS, resourceUsageDaily } from '../src/streams/resource-usage-daily.js';
import { resources, resourceScope } from '../src/streams/resources.js';
import { streamValidators } from '../src/generated/record-validators.js';
import { SchemaRegistry } from '../src/streams/schemas.js';
import type { StreamName } from '../src/streams/index.js';
import { runCli, tempDir, writeJson } from './support/cli.js';
import { assertValidAndUnique, primaryKey } from './support/expect.js';
import { checkAirbyteOutput, lastState, parseLines, recordsByStream } from './support/protocol.js';

const DAY_MS = 86_400_000;
const orgCtx = { org_name: 'acme' };
const schemas = new SchemaRegistry(streamValidators);
const tapConfig = parseConfig({ token: 'pul-test', organizations: ['acme'] }, {});

function assertValid(stream: StreamName, record: unknown): void {
  const validate = schemas.validator(stream);
  assert.ok(validate(record), `${stream} record does not match its schema: ${JSON.stringify(validate.errors)}`);
}

/** A configured Airbyte catalog of these streams, incremental where they can be. */
function catalogOf(dir: string, name: string, streams: readonly string[], incremental: readonly string[] = []): Promise<string> {
  return writeJson(dir, name, {
    streams: streams.map((stream) => ({
      stream: { name: stream, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
      sync_mode: incremental.includes(stream) ? 'incremental' : 'full_refresh',
      destination_sync_mode: 'append',
    })),
  });
}

function warnings(stdout: string): string[] {
  return (parseLines(stdout) as { type: string; log?: { level: string; message: string } }[]).filter((m) => m.type === 'LOG' && m.log?.level === 'WARN').map((m) => m.log?.message ?? '');
}

function requestsTo(emulator: PulumiEmulator, suffix: string): RequestLogEntry[] {
  return emulator.requests.filter((r) => r.path.endsWith(suffix));
}

async function answer(emulator: PulumiEmulator, path: string): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(emulator.url + path, { headers: { Authorization: `token ${emulator.token}` } });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown), text };
}

void describe('emulator: organization endpoints', () => {
  let emulator: PulumiEmulator;
  const ENDPOINTS = ['metadata', 'tokens', 'oidc/issuers', 'agent-pools', 'hooks', 'policypacks', 'resources/summary?granularity=daily&lookbackDays=3', 'search/resourcesv2'];

  before(async () => {
    emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex', 'initech'], stacksPerOrg: 3, orgsWithoutAccessTokens: ['globex'], orgsWithoutAgentPools: ['globex'], orgsWithoutWebhooks: ['globex'], orgsWithoutUsage: ['globex'], orgsWithoutUsageData: ['initech'] });
  });
  after(() => emulator.close());

  void it('answers 404 for an unknown organization on every endpoint, and 403 or 204 where the org lacks the feature', async () => {
    for (const endpoint of ENDPOINTS) {
      const { status, body } = await answer(emulator, `/api/orgs/nope/${endpoint}`);
      assert.equal(status, 404, endpoint);
      assert.deepEqual(body, { code: 404, message: "Not Found: Organization 'nope' not found" });
      assert.equal((await answer(emulator, `/api/orgs/acme/${endpoint}`)).status, 200, endpoint);
    }
    for (const endpoint of ['tokens', 'agent-pools', 'hooks', 'resources/summary?granularity=daily&lookbackDays=3']) assert.equal((await answer(emulator, `/api/orgs/globex/${endpoint}`)).status, 403, endpoint);
    for (const endpoint of ['metadata', 'oidc/issuers', 'policypacks', 'search/resourcesv2']) assert.equal((await answer(emulator, `/api/orgs/globex/${endpoint}`)).status, 200, endpoint);
    const empty = await answer(emulator, '/api/orgs/initech/resources/summary?granularity=daily&lookbackDays=3');
    assert.deepEqual([empty.status, empty.text], [204, '']);
  });

  void it('metadata: counts taken from the other resources, and the gated features flagged off', async () => {
    const { body } = await answer(emulator, '/api/orgs/globex/metadata');
    const metadata = body as { stackCount: number; memberCount: number; features: Record<string, boolean> };
    assert.equal(metadata.stackCount, emulator.stacks('globex').length);
    assert.equal(metadata.memberCount, emulator.members('globex').length);
    assert.equal(metadata.features.webhooksEnabled, false);
    const acme = (await answer(emulator, '/api/orgs/acme/metadata')).body as typeof metadata;
    assert.equal(acme.features.webhooksEnabled, true);
  });

  void it('tokens: expired ones only with show_expired=true; every token has a fake value', async () => {
    const all = emulator.orgAccessTokens('acme');
    const now = Date.now() / 1000;
    const listed = (await answer(emulator, '/api/orgs/acme/tokens')).body as { tokens: { id: string }[] };
    const withExpired = (await answer(emulator, '/api/orgs/acme/tokens?show_expired=true')).body as { tokens: { id: string }[] };
    assert.deepEqual(withExpired.tokens.map((t) => t.id), all.map((t) => t.id));
    assert.deepEqual(listed.tokens.map((t) => t.id), all.filter((t) => t.expires === 0 || t.expires > now).map((t) => t.id));
    assert.ok(all.every((t) => typeof t.tokenValue === 'string' && !t.tokenValue.startsWith('pul-')));
    assert.equal(all[0]?.lastUsed, 0);
    assert.equal(all[0]?.expires, 0);
  });

  void it('usage: one point per UTC day of the window, the first and the last partial, the same figures whatever the window', async () => {
    const now = Date.UTC(2026, 5, 10, 13, 0);
    const points = emulator.usage('acme', 3, now);
    assert.deepEqual(points.map((p) => `${p.year}-${p.month}-${p.day}`), ['2026-6-7', '2026-6-8', '2026-6-9', '2026-6-10']);
    assert.deepEqual(points.map((p) => p.resourceHours / p.resources), [11, 24, 24, 13]);
    const wider = emulator.usage('acme', 10, now);
    assert.deepEqual(wider.slice(-3), points.slice(-3));
    assert.equal(emulator.usage('acme', 365, now).length, 366);
    for (const query of ['granularity=hourly&lookbackDays=1', 'granularity=daily', 'granularity=daily&lookbackDays=0', 'granularity=daily&lookbackDays=366', 'granularity=daily&lookbackStart=1700000000']) {
      assert.equal((await answer(emulator, `/api/orgs/acme/resources/summary?${query}`)).status, 400, query);
    }
  });

  void it('resource search: pages named by full URLs on its own origin, both ways, none past the last page or the 10,000th result', async () => {
    const all = emulator.resources('acme');
    const first = (await answer(emulator, '/api/orgs/acme/search/resourcesv2?size=4&sort=modified')).body as { total: number; resources: { urn: string }[]; pagination: { next?: string; previous?: string } };
    assert.equal(first.total, all.length);
    assert.deepEqual(first.resources.map((r) => r.urn), all.slice(0, 4).map((r) => r.urn));
    assert.equal(first.pagination.previous, undefined);
    assert.equal(first.pagination.next, `${emulator.url}/api/orgs/acme/search/resourcesv2?size=4&sort=modified&page=2`);
    const lastPage = Math.ceil(all.length / 4);
    const last = (await answer(emulator, `/api/orgs/acme/search/resourcesv2?size=4&page=${lastPage}`)).body as typeof first;
    assert.equal(last.pagination.next, undefined);
    assert.equal(last.pagination.previous, `${emulator.url}/api/orgs/acme/search/resourcesv2?size=4&page=${lastPage - 1}`);
    assert.equal((await answer(emulator, '/api/orgs/acme/search/resourcesv2?size=100&page=101')).status, 400);
    assert.ok(all.some((r) => r.managed === 'discovered' && r.project === undefined && r.account !== undefined));
    assert.ok(all.some((r) => r['parent.urn'] !== undefined) && all.some((r) => r.parent_urn !== undefined));
  });

  void it('policy packs: one version\'s policies, the same on every ask; 404 for a version or pack that does not exist', async () => {
    const [pack] = emulator.policyPacks('acme');
    assert.ok(pack);
    const newest = pack.versions.at(-1) ?? 0;
    const detail = (await answer(emulator, `/api/orgs/acme/policypacks/${pack.name}/versions/${newest}`)).body;
    assert.deepEqual(detail, emulator.policyPackVersion('acme', pack.name, newest));
    assert.deepEqual((await answer(emulator, `/api/orgs/acme/policypacks/${pack.name}/versions/${newest}`)).body, detail);
    for (const version of [String(newest + 1), 'latest', '']) assert.equal((await answer(emulator, `/api/orgs/acme/policypacks/${pack.name}/versions/${version}`)).status, 404, version);
    assert.equal((await answer(emulator, '/api/orgs/acme/policypacks/nope/versions/1')).status, 404);
    const only = (await answer(emulator, `/api/orgs/acme/policypacks?policypack=${pack.name}`)).body as { policyPacks: { name: string }[] };
    assert.deepEqual(only.policyPacks.map((p) => p.name), [pack.name]);
  });

  void it('draws every organization endpoint from its own stream: the older resources are those of the same seed', async () => {
    const other = await PulumiEmulator.start({ orgs: ['acme', 'globex', 'initech'], stacksPerOrg: 3 });
    try {
      for (const org of ['acme', 'initech']) {
        assert.deepEqual(other.stacks(org), emulator.stacks(org));
        assert.deepEqual(other.members(org), emulator.members(org));
        assert.deepEqual(other.resources(org), emulator.resources(org));
        assert.deepEqual(other.orgWebhooks(org), emulator.orgWebhooks(org));
      }
    } finally {
      await other.close();
    }
  });
});

void describe('organization streams: conversions', () => {
  void it('organizations: one record per document, feature flags snake_cased and boolean', () => {
    const record = organizations.toRecord({ id: 'o1', product: 'enterprise', created: '2020-01-02T03:04:05Z', stackCount: '12', preferredVCS: 'github', features: { auditLogsEnabled: true, customVCSEnabled: false, oddFlag: 'yes' } }, orgCtx);
    assert.equal(record.org_name, 'acme');
    assert.equal(record.stack_count, 12);
    assert.equal(record.preferred_vcs, 'github');
    assert.deepEqual(record.features, { audit_logs_enabled: true, custom_vcs_enabled: false, odd_flag: null });
    assert.equal(featureFlags('not an object'), null);
    assert.deepEqual(Object.keys(featureFlags(JSON.parse('{"__proto__": true}')) ?? {}), ['__proto__']);
    assertValid('organizations', record);
  });

  void it('org_access_tokens: declared fields only, never a token value; 0 means never', () => {
    const raw = { id: 't1', name: 'ci', created: '2024-01-01T00:00:00Z', lastUsed: 0, expires: 1_900_000_000, admin: false, createdBy: 'ann', tokenValue: 'tokval-secret', token: 'pul-0011223344556677', value: 'x', role: { id: 'r', name: 'Reader', defaultIdentifier: 'stack-read', secret: 'no' } };
    const record = orgAccessTokens.toRecord(raw, orgCtx);
    assert.equal(record.last_used, null);
    assert.equal(record.expires, 1_900_000_000);
    assert.deepEqual(record.role, { id: 'r', name: 'Reader', default_identifier: 'stack-read' });
    const text = JSON.stringify(record);
    for (const secret of ['tokval-secret', 'pul-0011223344556677', '"no"']) assert.ok(!text.includes(secret), secret);
    assert.deepEqual([unixOrNever(0), unixOrNever('5'), unixOrNever(null), unixOrNever(-1)], [null, 5, null, -1]);
    assert.throws(() => orgAccessTokens.toRecord({ name: 'no id' }, orgCtx), RecordError);
    assertValid('org_access_tokens', record);
  });

  void it('oidc_issuers: JWKS keys by id, type, algorithm and use, from either naming, never their material', () => {
    const rfc = { keys: [{ kty: 'RSA', kid: 'k1', alg: 'RS256', use: 'sig', n: 'modulus-material', e: 'AQAB' }, 'junk'] };
    const goNames = { keys: [{ KeyID: 'k2', Algorithm: 'ES256', Use: 'sig', Key: { kty: 'EC', x: 'curve-material' }, Certificates: [{ Raw: ['AAAA'] }] }] };
    assert.deepEqual(jwksKeys(rfc), [{ key_id: 'k1', key_type: 'RSA', algorithm: 'RS256', use: 'sig' }]);
    assert.deepEqual(jwksKeys(goNames), [{ key_id: 'k2', key_type: 'EC', algorithm: 'ES256', use: 'sig' }]);
    assert.equal(jwksKeys(undefined), null);
    const record = oidcIssuers.toRecord({ id: 'i1', name: 'gh', url: 'https://token.actions.githubusercontent.com', issuer: 'https://token.actions.githubusercontent.com', jwks: rfc, thumbprints: ['abc', 3] }, orgCtx);
    assert.ok(!JSON.stringify(record).includes('material'));
    assert.deepEqual(record.thumbprints, ['abc']);
    assertValid('oidc_issuers', record);
  });

  void it('agent_pools: times in Unix seconds, milliseconds recognised, 0 as null', () => {
    assert.deepEqual([poolSeconds(1_700_000_000), poolSeconds(1_700_000_000_123), poolSeconds(0), poolSeconds(undefined), poolSeconds('1700000000')], [1_700_000_000, 1_700_000_000, null, null, 1_700_000_000]);
    const record = agentPools.toRecord({ id: 'p', name: 'default', created: 1_700_000_000_000, lastSeen: 1_700_000_100, lastDeployment: 0, status: 'online', isDefault: true }, orgCtx);
    assert.deepEqual([record.created, record.last_seen, record.last_deployment], [1_700_000_000, 1_700_000_100, null]);
    assertValid('agent_pools', record);
  });

  void it('org_webhooks: no secret, no ciphertext, and only the origin of the payload URL', () => {
    const raw = { organizationName: 'acme', name: 'slack', displayName: 'Slack', payloadUrl: 'https://hooks.slack.com/services/T1/B2/credential', active: true, format: 'slack', hasSecret: true, secret: 'whsec-x', secretCiphertext: 'v1:cipher' };
    const record = orgWebhooks.toRecord(raw, orgCtx);
    assert.equal(record.payload_origin, 'https://hooks.slack.com');
    const text = JSON.stringify(record);
    for (const secret of ['credential', 'whsec-x', 'v1:cipher', 'secret_ciphertext']) assert.ok(!text.includes(secret), secret);
    assert.deepEqual([payloadOrigin('https://h.example.com:8443/p?token=t'), payloadOrigin('not a url'), payloadOrigin('mailto:a@b.c'), payloadOrigin(3)], ['https://h.example.com:8443', null, null, null]);
    assertValid('org_webhooks', record);
  });

  void it('policy_packs: the newest version and its tag, and the child context that names it', () => {
    assert.deepEqual(latestVersion([1, 3, 2], ['a', 'c', 'b']), { version: 3, tag: 'c' });
    assert.deepEqual(latestVersion([1, 2], ['only one']), { version: 2, tag: null }, 'tags that do not run parallel name no tag');
    assert.deepEqual(latestVersion([], []), { version: null, tag: null });
    const converted = policyPacks.convert({ name: 'aws-guard', displayName: 'AWS', versions: [1, '2', 'x'], versionTags: ['0.1.0', '0.2.0', '?'] }, orgCtx);
    assert.deepEqual(converted.record.versions, [1, 2]);
    assert.deepEqual(converted.childContext, { org_name: 'acme', policy_pack_name: 'aws-guard', version: '2', version_tag: '0.2.0' });
    assert.equal(policyPacks.convert({ name: 'empty', versions: [], versionTags: [] }, orgCtx).childContext, undefined, 'no version, no policies to read');
    assertValid('policy_packs', converted.record);
  });

  void it('resource_usage_daily: keys are the calendar day, the cursor its start; the window reaches back to the start asked', () => {
    const record = resourceUsageDaily.toRecord({ year: 2024, month: 2, day: 29, resources: 12, resourceHours: 288 }, orgCtx);
    assert.equal(record.date, '2024-02-29T00:00:00.000Z');
    assert.equal(resourceUsageDaily.toRecord({ year: 2024, month: 3, day: 1, resources: 12 }, orgCtx).resource_hours, null);
    assert.throws(() => dayStart(2023, 2, 29), RecordError);
    assert.throws(() => resourceUsageDaily.toRecord({ year: 2024, month: 3 }, orgCtx), RecordError, 'no day: no key');
    const now = Date.UTC(2026, 5, 10, 13, 30);
    assert.equal(lookbackDaysFor(undefined, now), MAX_LOOKBACK_DAYS);
    assert.equal(lookbackDaysFor(new Date(Date.UTC(2026, 5, 3)).toISOString(), now), 9, '7.56 days back, rounded up, and one more');
    assert.equal(lookbackDaysFor(new Date(Date.UTC(2026, 5, 10)).toISOString(), now), 2);
    assert.equal(lookbackDaysFor('2020-01-01T00:00:00Z', now), MAX_LOOKBACK_DAYS);
    assert.equal(lookbackDaysFor('2030-01-01T00:00:00Z', now), 1, 'a start in the future still asks for a day');
    assert.equal(lookbackDaysFor(1_700_000_000, now), MAX_LOOKBACK_DAYS, 'the cursor is RFC 3339: a number is not read');
    const query = resourceUsageDaily.request.query?.(orgCtx, tapConfig, undefined);
    assert.deepEqual(query, { granularity: 'daily', lookbackDays: 365 });
    assertValid('resource_usage_daily', record);
  });

  void it('resources: a resource in no stack is keyed by (none) and its account; both URN namings are read', () => {
    assert.deepEqual(resourceScope('web', 'prod', 'aws'), { project: 'web', stack: 'prod' });
    assert.deepEqual(resourceScope(null, undefined, 'aws-prod'), { project: '(none)', stack: '(account aws-prod)' });
    assert.deepEqual(resourceScope('', '', ''), { project: '(none)', stack: '(none)' });
    const dotted = resources.toRecord({ urn: 'urn:pulumi:prod::web::aws:s3/bucket:Bucket::b', project: 'web', stack: 'prod', package: 'aws', module: 's3', 'parent.urn': 'urn:p', 'provider.urn': 'urn:q', created: '2024-01-01T00:00:00Z' }, orgCtx);
    assert.deepEqual([dotted.parent_urn, dotted.provider_urn], ['urn:p', 'urn:q']);
    const plain = resources.toRecord({ urn: 'u', parent_urn: 'urn:p2', provider_urn: 'urn:q2', managed: 'discovered', account: 'aws-prod' }, orgCtx);
    assert.deepEqual([plain.project, plain.stack, plain.parent_urn, plain.provider_urn], ['(none)', '(account aws-prod)', 'urn:p2', 'urn:q2']);
    assert.ok(!('parent.urn' in dotted));
    assert.throws(() => resources.toRecord({ project: 'web', stack: 'prod' }, orgCtx), RecordError, 'no URN: no key');
    assertValid('resources', dotted);
    assertValid('resources', plain);
  });
});

void describe('organization streams: plans without the feature', () => {
  let emulator: PulumiEmulator;
  let dir: string;

  before(async () => {
    emulator = await PulumiEmulator.start({
      orgs: ['acme', 'globex'],
      stacksPerOrg: 3,
      updatesPerStack: 2,
      orgsWithoutAccessTokens: ['globex'],
      orgsWithoutAgentPools: ['globex'],
      orgsWithoutWebhooks: ['globex'],
      orgsWithoutUsage: ['globex'],
    });
    dir = await tempDir();
  });
  after(() => emulator.close());

  /** Webhooks have a flag in the organization's features, read before any request; the others answer 403. */
  const skipReason = (stream: string) => (stream === 'org_webhooks' ? 'not enabled for this organization (its features say webhooksEnabled is false)' : 'not available (403)');

  void it('skips each gated stream for that organization with one warning, reads the others, and exits 0', async () => {
    const gated = ['org_access_tokens', 'agent_pools', 'org_webhooks', 'resource_usage_daily'];
    const config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url });
    const result = await runCli(['read', '--config', config, '--catalog', await catalogOf(dir, 'gated.json', gated, ['resource_usage_daily'])]);
    assert.equal(result.code, 0, result.stdout.slice(-2000));
    assert.deepEqual(checkAirbyteOutput(result.stdout, { command: 'read', configuredStreams: gated }), []);
    const skipped = warnings(result.stdout);
    assert.equal(skipped.length, gated.length, skipped.join('\n'));
    for (const stream of gated) assert.equal(skipped.filter((w) => w.startsWith(`${stream} (organization globex): ${skipReason(stream)}`)).length, 1, stream);
    // Where the organization's features say so, not even a request.
    assert.equal(requestsTo(emulator, '/api/orgs/globex/hooks').length, 0);
    const byStream = recordsByStream(result.stdout, 'airbyte');
    assert.equal(byStream.get('org_access_tokens')?.length, emulator.orgAccessTokens('acme').length);
    assert.equal(byStream.get('agent_pools')?.length, emulator.agentPools('acme').length);
    assert.equal(byStream.get('org_webhooks')?.length, emulator.orgWebhooks('acme').length);
    assert.ok((byStream.get('resource_usage_daily')?.length ?? 0) >= 365);
    for (const records of byStream.values()) assert.ok(records.every((r) => r.org_name === 'acme'));
    assertValidAndUnique(byStream);
  });

  void it('Singer: the same skips, one warning each on stderr, exit 0', async () => {
    const gated = ['org_access_tokens', 'agent_pools', 'org_webhooks', 'resource_usage_daily'];
    const config = await writeJson(dir, 'config-singer.json', { token: emulator.token, organizations: ['globex'], base_url: emulator.url });
    const result = await runCli(['--config', config, '--catalog', await catalogOf(dir, 'gated-singer.json', gated)]);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    for (const stream of gated) assert.equal(result.stderr.split('\n').filter((l) => l.includes(`${stream} (organization globex): ${skipReason(stream)}`)).length, 1, stream);
    assert.equal(recordsByStream(result.stdout, 'singer').size, 0);
  });
});

void describe('resource_usage_daily: a first year, then the look-back window', () => {
  let emulator: PulumiEmulator;
  let dir: string;
  let config: string;
  let catalog: string;

  before(async () => {
    emulator = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 1, updatesPerStack: 1 });
    dir = await tempDir();
    config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: ['acme'], base_url: emulator.url });
    catalog = await catalogOf(dir, 'usage.json', ['resource_usage_daily'], ['resource_usage_daily']);
  });
  after(() => emulator.close());

  const summaryRequests = () => requestsTo(emulator, '/resources/summary').map((r) => r.query);
  const usage = (stdout: string) => recordsByStream(stdout, 'airbyte').get('resource_usage_daily') ?? [];
  const key = (record: Record<string, unknown>) => primaryKey('resource_usage_daily', record);

  void it('reads 365 days on the first run, then from the bookmark less usage_lookback_days, emitting re-read days again', async () => {
    emulator.resetRequests();
    const first = await runCli(['read', '--config', config, '--catalog', catalog]);
    assert.equal(first.code, 0, first.stdout.slice(-2000));
    assert.deepEqual(summaryRequests(), [{ granularity: 'daily', lookbackDays: '365' }]);
    const firstRecords = usage(first.stdout);
    assert.equal(firstRecords.length, emulator.usage('acme', 365).length);
    assertValidAndUnique(new Map([['resource_usage_daily', firstRecords]]));
    const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS).toISOString();
    assert.equal(firstRecords.at(-1)?.date, today, 'the newest day is today');

    // The bookmark is the start of the newest day listed (today).
    const state = lastState(first.stdout, 'airbyte');
    const streamState = state.find((s) => s.stream.stream_descriptor.name === 'resource_usage_daily')?.stream.stream_state as { states: { cursor: { date: string } }[] };
    assert.equal(streamState.states[0]?.cursor.date, today);

    emulator.resetRequests();
    const second = await runCli(['read', '--config', config, '--catalog', catalog, '--state', await writeJson(dir, 'state.json', state)]);
    assert.equal(second.code, 0, second.stdout.slice(-2000));
    // Seven days before today's start, rounded up to whole days from now (8), and a day more: 9.
    assert.deepEqual(summaryRequests(), [{ granularity: 'daily', lookbackDays: '9' }]);
    const secondRecords = usage(second.stdout);
    const windowStart = Date.parse(today) - 7 * DAY_MS;
    assert.deepEqual(
      secondRecords.map((r) => r.date),
      firstRecords.filter((r) => Date.parse(String(r.date)) >= windowStart).map((r) => r.date),
      'the last 8 days (7 before today, and today), and not the partial day the window begins with',
    );
    const firstByKey = new Map(firstRecords.map((r) => [key(r), r]));
    for (const record of secondRecords) {
      const earlier = firstByKey.get(key(record));
      assert.ok(earlier, `${key(record)} was emitted by the first run under the same key`);
      if (record.date !== today) assert.deepEqual(record, earlier, 'a whole day reads the same');
    }
  });

  void it('usage_lookback_days 0 re-reads today only; a bookmark older than a year reads the year', async () => {
    const zero = await writeJson(dir, 'config-zero.json', { token: emulator.token, organizations: ['acme'], base_url: emulator.url, usage_lookback_days: 0 });
    const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS).toISOString();
    const stateAt = (date: string) => [{ type: 'STREAM', stream: { stream_descriptor: { name: 'resource_usage_daily' }, stream_state: { states: [{ partition: { org_name: 'acme' }, cursor: { date } }] } } }];
    emulator.resetRequests();
    const recent = await runCli(['read', '--config', zero, '--catalog', catalog, '--state', await writeJson(dir, 'today.json', stateAt(today))]);
    assert.equal(recent.code, 0, recent.stdout.slice(-2000));
    assert.deepEqual(summaryRequests(), [{ granularity: 'daily', lookbackDays: '2' }]);
    assert.deepEqual(usage(recent.stdout).map((r) => r.date), [today]);

    emulator.resetRequests();
    const old = await runCli(['read', '--config', config, '--catalog', catalog, '--state', await writeJson(dir, 'old.json', stateAt('2020-01-01T00:00:00.000Z'))]);
    assert.equal(old.code, 0, old.stdout.slice(-2000));
    assert.deepEqual(summaryRequests(), [{ granularity: 'daily', lookbackDays: '365' }]);
  });

  void it(
    'an organization without usage data (204 No Content) has no records and is not an error',
    async () => {
      const empty = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 1, updatesPerStack: 1, orgsWithoutUsageData: ['acme'] });
      try {
        const emptyConfig = await writeJson(dir, 'config-empty.json', { token: empty.token, organizations: ['acme'], base_url: empty.url, max_attempts: 1 });
        const result = await runCli(['read', '--config', emptyConfig, '--catalog', catalog]);
        assert.equal(usage(result.stdout).length, 0);
        assert.equal(result.code, 0, result.stdout.slice(-2000));
      } finally {
        await empty.close();
      }
    },
  );
});

void describe('resources: pages named by URL', () => {
  void it('follows pagination.next from page to page on the API origin, and reads every resource once', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 4, updatesPerStack: 1, discoveredResourcesPerOrg: 6 });
    try {
      const dir = await tempDir();
      const config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: 7 });
      const result = await runCli(['read', '--config', config, '--catalog', await catalogOf(dir, 'resources.json', ['resources'])]);
      assert.equal(result.code, 0, result.stdout.slice(-2000));
      const records = recordsByStream(result.stdout, 'airbyte').get('resources') ?? [];
      assertValidAndUnique(new Map([['resources', records]]));
      for (const org of emulator.orgNames()) {
        const expected = emulator.resources(org);
        const pages = requestsTo(emulator, '/search/resourcesv2').filter((r) => r.path === `/api/orgs/${org}/search/resourcesv2`);
        assert.ok(pages.length > 1, 'more than one page');
        assert.equal(pages.length, Math.ceil(expected.length / 7));
        assert.deepEqual(pages[0]?.query, { size: '7' }, 'the first page asks for the page size only');
        assert.deepEqual(pages.slice(1).map((p) => p.query), pages.slice(1).map((_, i) => ({ size: '7', page: String(i + 2) })), 'then the URLs the API named');
        const mine = records.filter((r) => r.org_name === org);
        assert.deepEqual(mine.map((r) => r.urn), expected.map((r) => r.urn));
        assert.equal(mine.filter((r) => r.parent_urn !== null).length, expected.filter((r) => r.parent_urn !== undefined || r['parent.urn'] !== undefined).length, 'both namings of the parent');
        assert.equal(mine.filter((r) => r.project === '(none)' && String(r.stack).startsWith('(account ')).length, 6, 'discovered resources');
      }
    } finally {
      await emulator.close();
    }
  });

  void it('reads the first 10,000 results, as far as numbered pages reach, and says how many it could not', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 1, updatesPerStack: 1, discoveredResourcesPerOrg: RESOURCE_SEARCH_PAGE_LIMIT + 40 });
    try {
      const dir = await tempDir();
      const config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: ['acme'], base_url: emulator.url, page_size: 500 });
      const result = await runCli(['read', '--config', config, '--catalog', await catalogOf(dir, 'resources.json', ['resources'])], { timeoutMs: 120_000 });
      assert.equal(result.code, 0, result.stdout.slice(-2000));
      assert.equal(recordsByStream(result.stdout, 'airbyte').get('resources')?.length, RESOURCE_SEARCH_PAGE_LIMIT);
      assert.equal(requestsTo(emulator, '/search/resourcesv2').length, RESOURCE_SEARCH_PAGE_LIMIT / 500);
      assert.ok(emulator.requests.every((r) => r.status === 200));
      const total = emulator.resources('acme').length;
      assert.deepEqual(warnings(result.stdout), [`resources (organization acme): the API named no page after ${RESOURCE_SEARCH_PAGE_LIMIT} of the ${total} items it counts; the rest cannot be read this way`]);
    } finally {
      await emulator.close();
    }
  });
});

