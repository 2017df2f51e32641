// `npm run demo` for real: the script, the built CLI and the emulator, with its files checked against
// the emulator's model of the same sample data.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyDemoChanges, DEMO_EMULATOR_OPTIONS, STREAMS, type DemoChanges } from '../scripts/demo.js';
import { PulumiEmulator } from '../emulator/server.js';
import { REPO_ROOT, tempDir, type CliResult } from './support/cli.js';
import { DEFAULT_STREAMS, expectedCounts } from './support/expect.js';

type Row = Record<string, unknown>;

function runDemo(out: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--out', out], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

async function readJsonl(path: string): Promise<Row[]> {
  const text = await readFile(path, 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), `${path} ends with a newline`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const row: unknown = JSON.parse(line);
      assert.ok(typeof row === 'object' && row !== null && !Array.isArray(row), `${path}:${i + 1} is a JSON object`);
      return row as Row;
    });
}

const stackKey = (r: Row) => `${String(r.org_name)}/${String(r.project_name)}/${String(r.stack_name)}`;
const updateKey = (r: Row) => `${stackKey(r)}#${String(r.version)}`;

void describe('npm run demo', () => {
  let out: string;
  let result: CliResult;
  const expected = new Map<string, number>();
  let expectedChanges: DemoChanges;

  before(async () => {
    out = await tempDir();
    result = await runDemo(out);
    // The same sample data, built in this process: what the full sync must have copied.
    const model = await PulumiEmulator.start({ ...DEMO_EMULATOR_OPTIONS, latencyMs: 0 });
    try {
      for (const [stream, count] of Object.entries(expectedCounts(model))) expected.set(stream, count);
      expectedChanges = applyDemoChanges(model);
    } finally {
      await model.close();
    }
  });

  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  void it('exits 0 and prints a summary of both runs', () => {
    assert.equal(result.code, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    assert.match(result.stdout, /\[1\/2\] full sync/);
    assert.match(result.stdout, /\[2\/2\] incremental sync: .* --state /);
    assert.match(result.stdout, /^ {2}tap, full: +sync complete\b/m);
    assert.match(result.stdout, /^ {2}tap, incremental: +sync complete\b/m);
    assert.match(result.stdout, /^ {2}API requests +\d+ +\d+$/m);
    for (const stream of STREAMS) assert.match(result.stdout, new RegExp(`^  ${stream} +\\d+ +\\d+$`, 'm'));
    assert.ok(result.stdout.includes(join(out, 'full', '*.jsonl')), 'names the output folder');
    assert.doesNotMatch(result.stdout + result.stderr, /pul-[0-9a-f]{40}/, 'the token is not printed');
  });

  void it('writes every record of the sample data in the full run, one JSONL file per stream', async () => {
    // A run without a catalog: every stream selected by default.
    for (const stream of DEFAULT_STREAMS) {
      const rows = await readJsonl(join(out, 'full', `${stream}.jsonl`));
      assert.ok(rows.length > 0, `${stream} has records`);
      assert.equal(rows.length, expected.get(stream), `${stream}: one line per record of the emulator's data`);
    }
    const updates = await readJsonl(join(out, 'full', 'stack_updates.jsonl'));
    assert.equal(new Set(updates.map(updateKey)).size, updates.length, 'no update twice');
  });

  void it('changes the data as the test model does', async () => {
    const written = JSON.parse(await readFile(join(out, 'changes.json'), 'utf8')) as DemoChanges;
    assert.deepEqual(written, expectedChanges);
    assert.ok(written.finished.length > 0 && written.added.length > 0 && written.new_stacks.length > 0);
  });

  void it('reads in the incremental run only what changed', async () => {
    const changes = JSON.parse(await readFile(join(out, 'changes.json'), 'utf8')) as DemoChanges;
    const full = await readJsonl(join(out, 'full', 'stack_updates.jsonl'));
    const updates = await readJsonl(join(out, 'incremental', 'stack_updates.jsonl'));
    assert.ok(updates.length > 0 && updates.length * 10 < full.length, `${updates.length} updates again of ${full.length}`);

    const byKey = new Map(updates.map((u) => [updateKey(u), u]));
    for (const u of changes.added) {
      const row = byKey.get(`${u.org}/${u.project}/${u.stack}#${u.version}`);
      assert.equal(row?.result, u.result, `new update ${u.org}/${u.project}/${u.stack} v${u.version}`);
    }
    for (const u of changes.finished) {
      const row = byKey.get(`${u.org}/${u.project}/${u.stack}#${u.version}`);
      assert.ok(row, `finished update ${u.org}/${u.project}/${u.stack} v${u.version} is read again`);
      assert.ok(row.result === 'succeeded' || row.result === 'failed', `and is finished now (${String(row.result)})`);
    }
    const changed = new Set([...changes.added, ...changes.finished].map((u) => `${u.org}/${u.project}/${u.stack}`));
    assert.deepEqual(updates.map(stackKey).filter((k) => !changed.has(k)), [], 'no history of an unchanged stack');

    const stacks = await readJsonl(join(out, 'incremental', 'stacks.jsonl'));
    const stackKeys = new Set(stacks.map(stackKey));
    for (const s of [...changes.new_stacks, ...changes.added]) assert.ok(stackKeys.has(`${s.org}/${s.project}/${s.stack}`), `stack ${s.org}/${s.project}/${s.stack}`);
    assert.ok(stacks.length < (await readJsonl(join(out, 'full', 'stacks.jsonl'))).length);

    for (const stream of ['organization_members', 'organization_teams']) {
      const rows = await readJsonl(join(out, 'incremental', `${stream}.jsonl`));
      assert.equal(rows.length, expected.get(stream), `${stream} is full refresh`);
    }
  });

  void it('keeps a Singer state with bookmarks, marking the stack with a running update unsettled', async () => {
    const state = JSON.parse(await readFile(join(out, 'state.json'), 'utf8')) as {
      bookmarks?: Record<string, { partitions?: Array<{ context: Row; replication_key: string; replication_key_value: unknown; unsettled?: boolean }> }>;
    };
    const stacks = state.bookmarks?.stacks?.partitions ?? [];
    const updates = state.bookmarks?.stack_updates?.partitions ?? [];
    assert.deepEqual(stacks.map((p) => p.context.org_name).sort(), ['acme', 'globex']);
    assert.ok(stacks.every((p) => p.replication_key === 'last_update' && typeof p.replication_key_value === 'number'));
    assert.ok(updates.length > 0 && updates.every((p) => p.replication_key === 'start_time'));
    const running = expectedChanges.added.filter((u) => u.result === 'in-progress');
    assert.equal(running.length, 1);
    const unsettled = updates.filter((p) => p.unsettled).map((p) => stackKey(p.context));
    assert.deepEqual(unsettled, running.map((u) => `${u.org}/${u.project}/${u.stack}`));
    // Each run folder keeps the state it ended with; the top one is the newest.
    assert.deepEqual(JSON.parse(await readFile(join(out, 'incremental', 'state.json'), 'utf8')), state);
    assert.ok(JSON.parse(await readFile(join(out, 'full', 'state.json'), 'utf8')));
  });
});
