// The tap's output on fixed emulator data, held against files written before the engine was
// rebuilt: the same records and the same final state, in both protocols, for a full run and for an
// incremental run from its state. A change that alters them must mean to, and rewrite the files
// with UPDATE_GOLDEN=1 (and say why in its commit).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PulumiEmulator } from '../emulator/server.js';
import { REPO_ROOT, runCli, tempDir, writeJson } from './support/cli.js';
import { lastState, parseLines } from './support/protocol.js';

const GOLDEN_DIR = join(REPO_ROOT, 'test/fixtures/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Message {
  type: string;
  stream?: string;
  record?: Record<string, unknown> | { stream: string; data: Record<string, unknown> };
  state?: { stream: { stream_descriptor: { name: string }; stream_state: unknown } };
}

/** Records as sorted lines of `stream<TAB>json`, without emission times. */
function canonicalRecords(stdout: string, protocol: 'airbyte' | 'singer'): string {
  const lines: string[] = [];
  for (const m of parseLines(stdout) as Message[]) {
    if (m.type !== 'RECORD' || !m.record) continue;
    if (protocol === 'airbyte' && 'data' in m.record) lines.push(`${String(m.record.stream)}\t${JSON.stringify(m.record.data)}`);
    if (protocol === 'singer') lines.push(`${m.stream ?? ''}\t${JSON.stringify(m.record)}`);
  }
  return lines.sort().join('\n') + '\n';
}

/** A state with its partitions in key order, and Airbyte's streams in name order: they complete in any order. */
function canonicalState(state: unknown): string {
  const sortPartitions = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      const items = value.map(sortPartitions);
      const keyed = items.every((item) => typeof item === 'object' && item !== null && ('partition' in item || 'context' in item || 'stream' in item));
      const key = (item: unknown) => {
        const entry = item as { partition?: unknown; context?: unknown; stream?: { stream_descriptor?: { name?: string } } };
        return JSON.stringify(entry.partition ?? entry.context ?? entry.stream?.stream_descriptor?.name);
      };
      return keyed ? [...items].sort((a, b) => key(a).localeCompare(key(b))) : items;
    }
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sortPartitions(v)]));
    return value;
  };
  return JSON.stringify(sortPartitions(state), null, 1) + '\n';
}

async function golden(name: string, actual: string): Promise<void> {
  const path = join(GOLDEN_DIR, name);
  if (UPDATE) await writeFile(path, actual);
  assert.equal(actual, await readFile(path, 'utf8'), `${name} differs from the golden file`);
}

void describe('golden output: records and final state on fixed data', () => {
  let emulator: PulumiEmulator;
  let dir: string;
  let config: string;
  /** The streams the golden files were written for: streams added later do not change them. */
  let catalog: string;

  before(async () => {
    emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 7, updatesPerStack: 6, membersPerOrg: 3, teamsPerOrg: 2, seed: 11, orgsWithoutTeams: ['globex'] });
    dir = await tempDir();
    config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: 3 });
    const all = JSON.parse(await readFile(join(REPO_ROOT, 'catalog.json'), 'utf8')) as { streams: { stream: { name: string } }[] };
    const golden = ['stacks', 'stack_updates', 'organization_members', 'organization_teams'];
    catalog = await writeJson(dir, 'catalog.json', { streams: all.streams.filter((s) => golden.includes(s.stream.name)) });
  });
  after(() => emulator.close());

  void it('Singer: a full run, then an incremental run from its state', async () => {
    const full = await runCli(['--config', config, '--catalog', catalog]);
    assert.equal(full.code, 0, full.stderr);
    await golden('singer-full.records.tsv', canonicalRecords(full.stdout, 'singer'));
    const state = lastState(full.stdout, 'singer');
    await golden('singer-full.state.json', canonicalState(state));
    const next = await runCli(['--config', config, '--catalog', catalog, '--state', await writeJson(dir, 'singer-state.json', state)]);
    assert.equal(next.code, 0, next.stderr);
    await golden('singer-incremental.records.tsv', canonicalRecords(next.stdout, 'singer'));
    await golden('singer-incremental.state.json', canonicalState(lastState(next.stdout, 'singer')));
  });

  void it('Airbyte: a full run, then an incremental run from its state', async () => {
    const full = await runCli(['read', '--config', config, '--catalog', catalog]);
    assert.equal(full.code, 0, full.stdout.slice(-2000));
    await golden('airbyte-full.records.tsv', canonicalRecords(full.stdout, 'airbyte'));
    const state = lastState(full.stdout, 'airbyte');
    await golden('airbyte-full.state.json', canonicalState(state));
    const next = await runCli(['read', '--config', config, '--catalog', catalog, '--state', await writeJson(dir, 'airbyte-state.json', state)]);
    assert.equal(next.code, 0, next.stdout.slice(-2000));
    await golden('airbyte-incremental.records.tsv', canonicalRecords(next.stdout, 'airbyte'));
    await golden('airbyte-incremental.state.json', canonicalState(lastState(next.stdout, 'airbyte')));
  });
});
