// The demo: `npm run demo [-- --out DIR]`. No token, no network: starts the bundled Pulumi Cloud
// emulator with sample data, runs a full Singer sync through the built CLI, changes some data, runs an
// incremental sync from the saved state, and writes both runs' records as JSONL per stream.
import { STREAM_NAMES } from '../src/streams/index.js';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PulumiEmulator, type EmulatorOptions } from '../emulator/server.js';
import { CLI_PATH, startCliProcess } from './cli-process.js';

export const STREAMS = STREAM_NAMES;

/** The sample account. Deterministic: the same records on every run (times of the changes aside). */
export const DEMO_EMULATOR_OPTIONS: EmulatorOptions = {
  orgs: ['acme', 'globex'],
  stacksPerOrg: 20,
  updatesPerStack: 30,
  membersPerOrg: 8,
  teamsPerOrg: 4,
  seed: 7,
  latencyMs: 5,
};

export const NEW_STACK = { project: 'billing-api', stack: 'prod' } as const;

export interface StackRef {
  org: string;
  project: string;
  stack: string;
}
export interface UpdateRef extends StackRef {
  version: number;
}

/** What changed between the two syncs; written to `<out>/changes.json`. */
export interface DemoChanges {
  finished: UpdateRef[];
  added: Array<UpdateRef & { result: string }>;
  new_stacks: StackRef[];
}

/** Between the syncs: running updates finish, a few stacks get new updates, a stack is created. */
export function applyDemoChanges(emulator: PulumiEmulator): DemoChanges {
  const changes: DemoChanges = { finished: [], added: [], new_stacks: [] };
  const [first, second] = emulator.orgNames();
  if (first === undefined || second === undefined) throw new Error('the demo needs two organizations');
  // Stacks whose newest update is finished, to give new ones to.
  const settled: StackRef[] = [];
  for (const org of emulator.orgNames()) {
    for (const s of emulator.stacks(org)) {
      if (s.lastUpdate === undefined) continue;
      const newest = emulator.updates(org, s.projectName, s.stackName)[0];
      const ref = { org, project: s.projectName, stack: s.stackName };
      if (newest?.info.result === 'in-progress' || newest?.info.result === 'not-started') {
        emulator.finishUpdate(org, s.projectName, s.stackName, newest.version);
        changes.finished.push({ ...ref, version: newest.version });
      } else {
        settled.push(ref);
      }
    }
  }
  const add = (ref: StackRef, result?: 'succeeded' | 'failed' | 'in-progress') => {
    const update = emulator.addUpdate(ref.org, ref.project, ref.stack, result ? { result } : undefined);
    changes.added.push({ ...ref, version: update.version, result: update.info.result });
  };
  const [a, b] = settled.filter((r) => r.org === first);
  const c = settled.find((r) => r.org === second);
  if (!a || !b || !c) throw new Error('the sample data has too few updated stacks');
  add(a);
  add(a, 'failed');
  add(b);
  add(c, 'in-progress'); // still running at the end: the state marks this stack unsettled
  const created = { org: second, project: NEW_STACK.project, stack: NEW_STACK.stack };
  emulator.addStack(created.org, created.project, created.stack);
  changes.new_stacks.push(created);
  add(created);
  return changes;
}

interface RunResult {
  records: Map<string, string[]>;
  state: unknown;
  requests: number;
  historyRequests: number;
  seconds: number;
  summary: string | undefined;
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** One Singer sync through the real CLI, as a child process. */
async function runTap(emulator: PulumiEmulator, configPath: string, statePath: string | undefined, label: string): Promise<RunResult> {
  const args = ['--config', configPath, ...(statePath ? ['--state', statePath] : [])];
  // The config's emulator token is the only one in play; logs as plain lines, which this script reads.
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: 'text' };
  delete env['PULUMI_ACCESS_TOKEN'];
  delete env['LOG_LEVEL'];
  emulator.resetRequests();
  const started = performance.now();
  const records = new Map<string, string[]>();
  let state: unknown;
  let summary: string | undefined;
  let badLine: string | undefined;
  const onStdoutLine = (line: string) => {
    if (line === '') return;
    let message: { type?: string; stream?: string; record?: unknown; value?: unknown };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      badLine ??= line.slice(0, 200);
      return;
    }
    if (message.type === 'SCHEMA' && message.stream && !records.has(message.stream)) records.set(message.stream, []);
    else if (message.type === 'RECORD' && message.stream) {
      const list = records.get(message.stream) ?? [];
      list.push(JSON.stringify(message.record));
      records.set(message.stream, list);
    } else if (message.type === 'STATE') state = message.value;
  };
  const onStderrLine = (line: string) => {
    // Singer METRIC lines (one per request) would drown the rest.
    if (/^(INFO|WARN|ERROR) /.test(line) && !line.startsWith('INFO METRIC:')) console.log(`  ${label} │ ${line}`);
    if (/^INFO sync (complete|finished with failures|interrupted):/.test(line)) summary = line.slice('INFO '.length);
  };
  const { code, stderr } = await startCliProcess(args, { env, onStdoutLine, onStderrLine }).exited;
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) {
    const tail = stderr.split('\n').filter((l) => l !== '' && !/^(INFO|WARN|ERROR) /.test(l)).slice(-20);
    throw new Error(`the ${label} sync exited with code ${String(code)}${tail.length ? `:\n${tail.join('\n')}` : ''}`);
  }
  if (badLine !== undefined) throw new Error(`the ${label} sync wrote a line that is not JSON to stdout: ${badLine}`);
  if (state === undefined) throw new Error(`the ${label} sync wrote no STATE message`);
  const historyRequests = emulator.requests.filter((r) => r.path.endsWith('/updates')).length;
  return { records, state, requests: emulator.requests.length, historyRequests, seconds, summary };
}

async function writeRun(dir: string, result: RunResult): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Only this script's own files go: `--out` may name a folder that holds other things.
  for (const file of await readdir(dir)) if (file.endsWith('.jsonl')) await rm(join(dir, file), { force: true });
  for (const name of new Set([...STREAMS, ...result.records.keys()])) {
    const lines = result.records.get(name) ?? [];
    await writeFile(join(dir, `${name}.jsonl`), lines.map((l) => `${l}\n`).join(''));
  }
  await writeFile(join(dir, 'state.json'), `${JSON.stringify(result.state, null, 2)}\n`);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('   ')}`).join('\n');
}

const USAGE = `Usage: npm run demo [-- --out DIR]
  Syncs sample data from a local Pulumi Cloud emulator (no token, no network), twice:
  a full sync, then an incremental one after some changes.
  --out DIR   where to write the config, records and state (default ./demo-output)
  -h, --help
`;

async function main(): Promise<number> {
  let values: { out: string; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: { out: { type: 'string', default: 'demo-output' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!existsSync(CLI_PATH)) {
    process.stderr.write(`${display(CLI_PATH)} is missing: build first (npm run build; npm run demo does it for you)\n`);
    return 1;
  }
  const out = resolve(values.out);
  await mkdir(out, { recursive: true });
  const configPath = join(out, 'config.json');
  const statePath = join(out, 'state.json');
  const fullDir = join(out, 'full');
  const incrementalDir = join(out, 'incremental');

  const emulator = await PulumiEmulator.start(DEMO_EMULATOR_OPTIONS);
  try {
    const orgs = emulator.orgNames();
    const o = emulator.options;
    console.log('tap-pulumi-cloud demo: no token, no network; the tap talks to a local Pulumi Cloud emulator.');
    console.log(
      `emulator at ${emulator.url}: organizations ${orgs.join(', ')}, ${o.stacksPerOrg} stacks each with up to ` +
        `${o.updatesPerStack} updates, ${o.membersPerOrg} members and ${o.teamsPerOrg} teams; ${o.latencyMs} ms per request\n`,
    );
    await writeFile(configPath, `${JSON.stringify({ token: emulator.token, organizations: orgs, base_url: emulator.url }, null, 2)}\n`, { mode: 0o600 });

    console.log(`[1/2] full sync: node dist/src/cli.js --config ${display(configPath)}`);
    const full = await runTap(emulator, configPath, undefined, 'full');
    await writeRun(fullDir, full);
    await writeFile(statePath, `${JSON.stringify(full.state, null, 2)}\n`);

    const changes = applyDemoChanges(emulator);
    await writeFile(join(out, 'changes.json'), `${JSON.stringify(changes, null, 2)}\n`);
    const newStacks = new Set(changes.new_stacks.map((r) => `${r.org}/${r.project}/${r.stack}`));
    const changedStacks = new Set(changes.added.map((u) => `${u.org}/${u.project}/${u.stack}`).filter((k) => !newStacks.has(k)));
    console.log(
      `\nchanged in the emulator: ${changes.finished.length} running updates finished; ${changes.added.length} updates added ` +
        `(one left running) to ${changedStacks.size} stacks and to a new stack, ${[...newStacks].join(', ')}\n`,
    );

    console.log(`[2/2] incremental sync: node dist/src/cli.js --config ${display(configPath)} --state ${display(statePath)}`);
    const incremental = await runTap(emulator, configPath, statePath, 'incremental');
    await writeRun(incrementalDir, incremental);
    // As a scheduler would: keep the newest state for the next run.
    await writeFile(statePath, `${JSON.stringify(incremental.state, null, 2)}\n`);

    const count = (r: RunResult, s: string) => String(r.records.get(s)?.length ?? 0);
    console.log('\nsummary: records per stream, requests the emulator served, wall time');
    console.log(
      table([
        ['', 'full', 'incremental'],
        ...STREAMS.map((s) => [s, count(full, s), count(incremental, s)]),
        ['API requests', String(full.requests), String(incremental.requests)],
        ['  for update histories', String(full.historyRequests), String(incremental.historyRequests)],
        ['elapsed', `${full.seconds.toFixed(2)} s`, `${incremental.seconds.toFixed(2)} s`],
      ]),
    );
    console.log(`\n  tap, full:        ${full.summary ?? '(no summary line)'}`);
    console.log(`  tap, incremental: ${incremental.summary ?? '(no summary line)'}`);
    const files: Array<[string, string]> = [
      [join(fullDir, '*.jsonl'), 'records of the full sync, one file per stream'],
      [join(incrementalDir, '*.jsonl'), 'records of the incremental sync'],
      [statePath, 'the state to resume from (each run folder also has the state it ended with)'],
      [join(out, 'changes.json'), 'what changed between the syncs'],
      [configPath, 'the config the tap ran with (its emulator has stopped)'],
    ];
    const width = Math.max(...files.map(([f]) => display(f).length));
    console.log('\nfiles');
    for (const [file, what] of files) console.log(`  ${display(file).padEnd(width)}   ${what}`);
    console.log('\nNext: README.md, "Run a real sync", syncs your own organizations with a Pulumi access token.');
    return 0;
  } finally {
    await emulator.close();
  }
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  try {
    process.exitCode = await main();
  } catch (err) {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
