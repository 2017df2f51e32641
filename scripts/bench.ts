// The benchmark: `npm run bench [-- --orgs 3 --stacks 1000 --updates 100 --latency 25 --concurrency 8]`.
// Starts the emulator with a per-request latency and a generated organization, runs a full `read`,
// changes a share of the stacks, runs an incremental `read` from the state, then a zero-latency run
// (where the tap's own CPU cost shows) and a small one (for memory growth), and prints the numbers.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PulumiEmulator } from '../emulator/server.js';
import { REPO_ROOT, startCliProcess } from './cli-process.js';
import { STREAMS } from '../src/streams/index.js';

const { values: flags } = parseArgs({
  options: {
    orgs: { type: 'string', default: '3' },
    stacks: { type: 'string', default: '1000' },
    updates: { type: 'string', default: '100' },
    latency: { type: 'string', default: '25' },
    concurrency: { type: 'string', default: '8' },
    'page-size': { type: 'string', default: '100' },
    changed: { type: 'string', default: '0.01' },
    'small-stacks': { type: 'string', default: '100' },
    /** Stacks of the one organization of the large run (0: no large run). */
    'large-stacks': { type: 'string', default: '50000' },
    /** Node options for the tap's process alone (NODE_OPTIONS), to measure V8 settings such as --max-semi-space-size. */
    'tap-node-options': { type: 'string', default: '' },
  },
});
const tapEnv: NodeJS.ProcessEnv = flags['tap-node-options'] ? { ...process.env, NODE_OPTIONS: flags['tap-node-options'] } : process.env;
const orgs = Number(flags.orgs);
const stacks = Number(flags.stacks);
const updates = Number(flags.updates);
const latency = Number(flags.latency);
const concurrency = Number(flags.concurrency);
const pageSize = Number(flags['page-size']);
const changedShare = Number(flags.changed);
const smallStacks = Number(flags['small-stacks']);
const largeStacks = Number(flags['large-stacks']);

const work = await mkdtemp(join(tmpdir(), 'tap-pulumi-cloud-bench-'));
// The figures are for the stacks family, members and teams (what the emulator holds by the
// thousand), comparable from one release to the next whatever streams are added.
const BENCH_STREAMS = ['stacks', 'stack_updates', 'organization_members', 'organization_teams'];
const catalog = join(work, 'catalog.json');
const repoCatalog = JSON.parse(await readFile(join(REPO_ROOT, 'catalog.json'), 'utf8')) as { streams: { stream: { name: string } }[] };
await writeFile(catalog, JSON.stringify({ streams: repoCatalog.streams.filter((s) => BENCH_STREAMS.includes(s.stream.name)) }));
/** Every stream selected by default: the repository's own catalog. */
const everyDefaultCatalog = join(REPO_ROOT, 'catalog.json');

interface RunResult {
  name: string;
  records: number;
  requests: number;
  wallSeconds: number;
  userCpuSeconds: number;
  peakRssMb: number;
  /** CPU of this process during the run: the emulator serving (and gzipping) every page. */
  emulatorCpuSeconds: number;
  state: unknown[];
  recordLines?: string[];
  /** Bytes of all STATE lines written, and of the last one. */
  stateBytes: number;
  lastStateBytes: number;
  /** Records by stream. */
  byStream: Map<string, number>;
  requestLog: { path: string }[];
}

async function runTap(name: string, emulator: PulumiEmulator, options: { state?: unknown[]; keepLines?: boolean; catalog?: string } = {}): Promise<RunResult> {
  const file = name.replace(/[^a-z0-9]+/gi, '-');
  const config = join(work, `${file}-config.json`);
  await writeFile(config, JSON.stringify({ token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: pageSize, max_concurrency: concurrency }));
  const args = ['read', '--config', config, '--catalog', options.catalog ?? catalog];
  if (options.state) {
    const statePath = join(work, `${file}-state.json`);
    await writeFile(statePath, JSON.stringify(options.state));
    args.push('--state', statePath);
  }
  emulator.resetRequests();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let records = 0;
  let summary = '';
  let stateBytes = 0;
  let lastStateBytes = 0;
  const byStream = new Map<string, number>();
  const lastStates = new Map<string, unknown>();
  const recordLines: string[] = [];
  const onStdoutLine = (line: string) => {
    if (line.startsWith('{"type":"RECORD"')) {
      records++;
      const stream = /^\{"type":"RECORD","record":\{"stream":"([^"]+)"/.exec(line)?.[1] ?? '?';
      byStream.set(stream, (byStream.get(stream) ?? 0) + 1);
      if (options.keepLines) recordLines.push(line);
    } else if (line.startsWith('{"type":"STATE"')) {
      stateBytes += line.length + 1;
      lastStateBytes = line.length + 1;
      const message = JSON.parse(line) as { state: { stream: { stream_descriptor: { name: string } } } };
      lastStates.set(message.state.stream.stream_descriptor.name, { type: 'STREAM', stream: message.state.stream });
    } else if (line.includes('sync complete') || line.includes('finished with failures')) {
      summary = line;
    }
  };
  // The tap's own stderr shows as it comes.
  const onStderrLine = (line: string) => process.stderr.write(`${line}\n`);
  const { code } = await startCliProcess(args, { env: tapEnv, onStdoutLine, onStderrLine }).exited;
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuUsed = process.cpuUsage(cpuBefore);
  if (code !== 0) throw new Error(`${name}: the tap exited ${code}`);
  const cpu = /cpu ([\d.]+) s user/.exec(summary);
  const rss = /peak rss (\d+) MB/.exec(summary);
  return {
    name,
    records,
    requests: emulator.requests.length,
    wallSeconds,
    userCpuSeconds: Number(cpu?.[1] ?? NaN),
    peakRssMb: Number(rss?.[1] ?? NaN),
    emulatorCpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6,
    state: [...lastStates.values()],
    ...(options.keepLines ? { recordLines } : {}),
    stateBytes,
    lastStateBytes,
    byStream,
    requestLog: emulator.requests.map((r) => ({ path: r.path })),
  };
}

/** Requests of a run by the streams whose endpoint they match (siblings that share a request are named together). */
function requestsByStream(log: readonly { path: string }[]): Map<string, number> {
  // A parent read only for its children (a listing of names) is counted under its own name.
  const streams = [...new Set(STREAMS.flatMap((stream) => (stream.parent ? [stream.parent, stream] : [stream])))];
  const patterns = streams.map((stream) => ({ name: stream.name, match: new RegExp(`^${stream.request.endpoint.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  const counts = new Map<string, number>();
  for (const { path } of log) {
    const owners = patterns.filter((p) => p.match.test(path)).map((p) => p.name);
    const label = owners.length > 0 ? owners.join(' + ') : path === '/api/user' ? '(token check)' : path.replace(/\/[^/]+$/, '/…');
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return counts;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** Median wall seconds of `node -e 0`: what any Node.js program takes to start and stop on this machine. */
function bareNode(runs: number): number {
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    walls.push((performance.now() - started) / 1000);
  }
  return median(walls);
}

/** Median wall seconds of the CLI run with these arguments, and of its first request when there is one. */
async function startUp(args: string[], runs: number, emulator?: PulumiEmulator): Promise<{ wall: number; firstRequest: number | undefined }> {
  const walls: number[] = [];
  const firsts: number[] = [];
  for (let i = 0; i < runs; i++) {
    emulator?.resetRequests();
    let first: number | undefined;
    const started = performance.now();
    const poll = setInterval(() => {
      if (first === undefined && emulator && emulator.requests.length > 0) first = performance.now() - started;
    }, 1);
    await startCliProcess(args, { env: tapEnv }).exited;
    clearInterval(poll);
    walls.push((performance.now() - started) / 1000);
    if (first !== undefined) firsts.push(first / 1000);
  }
  return { wall: median(walls), firstRequest: firsts.length > 0 ? median(firsts) : undefined };
}

/** Between two syncs: running updates finish (and are read again), and a share of stacks get an update. */
function changeStacks(emulator: PulumiEmulator, share: number): number {
  let changed = 0;
  for (const org of emulator.orgNames()) {
    for (const s of emulator.stacks(org)) {
      const newest = s.lastUpdate === undefined ? undefined : emulator.updates(org, s.projectName, s.stackName)[0];
      if (newest?.info.result === 'in-progress') emulator.finishUpdate(org, s.projectName, s.stackName, newest.version);
    }
    const list = emulator.stacks(org).filter((s) => s.lastUpdate !== undefined);
    const every = Math.max(1, Math.round(1 / share));
    for (let i = 0; i < list.length; i += every) {
      const s = list[i]!;
      emulator.addUpdate(org, s.projectName, s.stackName);
      changed++;
    }
  }
  return changed;
}

/** CPU seconds for JSON.parse of each record line plus JSON.stringify of its data: the floor of any tap. */
function parseStringifyCost(lines: string[]): number {
  const before = process.cpuUsage();
  let sink = 0;
  for (const line of lines) {
    const message = JSON.parse(line) as { record: { data: unknown } };
    sink += JSON.stringify(message.record.data).length;
  }
  const used = process.cpuUsage(before);
  if (sink < 0) throw new Error('unreachable');
  return used.user / 1e6;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const rows: string[][] = [];
function report(result: RunResult, latencyMs: number): void {
  const floor = (result.requests * latencyMs) / 1000 / concurrency;
  rows.push([
    result.name,
    String(result.records),
    String(result.requests),
    fmt(result.wallSeconds, 2),
    fmt(result.records / result.wallSeconds, 0),
    fmt(result.peakRssMb, 0),
    latencyMs > 0 ? fmt(floor, 2) : '-',
    latencyMs > 0 ? fmt(result.wallSeconds / floor, 2) : '-',
    fmt((result.userCpuSeconds / Math.max(1, result.records)) * 1e6, 1),
    fmt(result.emulatorCpuSeconds, 1),
  ]);
}

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
console.log(`organization: ${orgs} orgs × ${stacks} stacks × up to ${updates} updates; latency ${latency} ms; concurrency ${concurrency}; page size ${pageSize}\n`);

// Half a percent of stacks have an update running when the first sync starts; the emulator's default
// (10%, for tests) would be far more than a real organization has at once.
const shape = { orgs, updatesPerStack: updates, membersPerOrg: 20, teamsPerOrg: 5, runningShare: 0.005 };
const emulator = await PulumiEmulator.start({ ...shape, stacksPerOrg: stacks, latencyMs: latency });
// The emulator shares this machine's cores with the tap: generating, serialising and compressing
// every page costs it about as much CPU as the tap spends. The first run shows that; the timed run
// after it is answered from the first one's kept answers, so it measures the tap against a server
// whose only cost is its latency, as the floor assumes.
emulator.cacheAnswers(true);
report(await runTap('full, emulator answering cold', emulator), latency);
const full = await runTap('full', emulator);
report(full, latency);
emulator.cacheAnswers(false);
const changed = changeStacks(emulator, changedShare);
const incremental = await runTap('incremental', emulator, { state: full.state });
report(incremental, latency);
await emulator.close();

const fast = await PulumiEmulator.start({ ...shape, stacksPerOrg: stacks, latencyMs: 0 });
const zero = await runTap('full, 0 ms latency', fast, { keepLines: true });
report(zero, 0);
await fast.close();
const baselineSeconds = parseStringifyCost(zero.recordLines ?? []);

const small = await PulumiEmulator.start({ ...shape, stacksPerOrg: smallStacks, latencyMs: 0 });
const smallRun = await runTap(`full, ${smallStacks} stacks/org, 0 ms`, small);
report(smallRun, 0);
await small.close();

// Every stream selected by default, on the same organizations: bounded by its own requests too?
const everything = await PulumiEmulator.start({ ...shape, stacksPerOrg: stacks, latencyMs: latency });
everything.cacheAnswers(true);
report(await runTap('every default stream, full, emulator answering cold', everything, { catalog: everyDefaultCatalog }), latency);
const everyFull = await runTap('every default stream, full', everything, { catalog: everyDefaultCatalog });
report(everyFull, latency);
const everyAgain = await runTap('every default stream, nothing changed', everything, { catalog: everyDefaultCatalog, state: everyFull.state });
report(everyAgain, latency);
await everything.close();

// Start-up: `spec` (no request), and `check` up to its first request.
const checkEmulator = await PulumiEmulator.start({ orgs: 1, stacksPerOrg: 1, updatesPerStack: 1, latencyMs: 0 });
const checkConfig = join(work, 'check-config.json');
await writeFile(checkConfig, JSON.stringify({ token: checkEmulator.token, organizations: checkEmulator.orgNames(), base_url: checkEmulator.url }));
const nodeStart = bareNode(7);
const specStart = await startUp(['spec'], 7);
const checkStart = await startUp(['check', '--config', checkConfig], 7, checkEmulator);
await checkEmulator.close();

// One very large organization: memory, state size and that nothing is lost.
let largeRun: RunResult | undefined;
let largeExpected = 0;
if (largeStacks > 0) {
  const large = await PulumiEmulator.start({ orgs: 1, stacksPerOrg: largeStacks, updatesPerStack: 3, membersPerOrg: 20, teamsPerOrg: 5, runningShare: 0.005, latencyMs: 0 });
  for (const org of large.orgNames()) {
    for (const s of large.stacks(org)) largeExpected += 1 + large.updates(org, s.projectName, s.stackName).length;
    largeExpected += large.members(org).length + large.teams(org).length;
  }
  largeRun = await runTap(`full, 1 org × ${largeStacks} stacks, 0 ms`, large);
  report(largeRun, 0);
  await large.close();
}

const header = ['run', 'records', 'requests', 'wall s', 'records/s', 'peak RSS MB', 'latency floor s', 'wall/floor', 'user CPU µs/record', 'emulator CPU s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));

const baselinePerRecord = (baselineSeconds / Math.max(1, zero.records)) * 1e6;
const tapPerRecord = (zero.userCpuSeconds / Math.max(1, zero.records)) * 1e6;
const floorOf = (run: RunResult) => (run.requests * latency) / 1000 / concurrency;
const checks: [string, boolean, string][] = [
  ['full sync within 1.2× of the latency floor', full.wallSeconds <= 1.2 * floorOf(full), `${fmt(full.wallSeconds / floorOf(full), 2)}×`],
  [
    'every default stream: the same ratio to its own floor',
    everyFull.wallSeconds / floorOf(everyFull) <= 1.1 * (full.wallSeconds / floorOf(full)),
    `${fmt(everyFull.wallSeconds / floorOf(everyFull), 2)}× (${everyFull.requests} requests)`,
  ],
  [`incremental (${changed} stacks changed) ≤ 3% of the full run's requests`, incremental.requests <= 0.03 * full.requests, `${fmt((100 * incremental.requests) / full.requests, 2)}%`],
  ['incremental ≤ 3% of the full run\'s time', incremental.wallSeconds <= 0.03 * full.wallSeconds, `${fmt((100 * incremental.wallSeconds) / full.wallSeconds, 2)}%`],
  ['peak RSS of the full run ≤ 128 MB', full.peakRssMb <= 128, `${fmt(full.peakRssMb, 0)} MB`],
  [`peak RSS within 10% between ${smallStacks} and ${stacks} stacks/org`, Math.abs(zero.peakRssMb - smallRun.peakRssMb) <= 0.1 * smallRun.peakRssMb, `${fmt(smallRun.peakRssMb, 0)} → ${fmt(zero.peakRssMb, 0)} MB`],
  ['user CPU per record ≤ 2× JSON.parse + JSON.stringify of the record', tapPerRecord <= 2 * baselinePerRecord, `${fmt(tapPerRecord, 1)} µs vs ${fmt(baselinePerRecord, 1)} µs (${fmt(tapPerRecord / baselinePerRecord, 2)}×)`],
  ['start-up: spec ≤ 0.12 s', specStart.wall <= 0.12, `${fmt(specStart.wall, 3)} s`],
  ['start-up: check to its first request ≤ 0.12 s', (checkStart.firstRequest ?? Number.POSITIVE_INFINITY) <= 0.12, `${fmt(checkStart.firstRequest ?? Number.NaN, 3)} s`],
];
if (largeRun) {
  checks.push(
    [`${largeStacks} stacks: peak RSS ≤ 256 MB`, largeRun.peakRssMb <= 256, `${fmt(largeRun.peakRssMb, 0)} MB`],
    [`${largeStacks} stacks: state ≤ 200 bytes per stack`, largeRun.lastStateBytes / largeStacks <= 200, `${fmt(largeRun.lastStateBytes / largeStacks, 0)} bytes`],
    [`${largeStacks} stacks: nothing lost`, largeRun.records === largeExpected, `${largeRun.records} of ${largeExpected} records`],
  );
}
console.log(`\nrequests per stream, every default stream: full run → re-run with nothing changed`);
const fullByStream = requestsByStream(everyFull.requestLog);
const againByStream = requestsByStream(everyAgain.requestLog);
for (const [label, count] of [...fullByStream].sort((a, b) => b[1] - a[1])) console.log(`  ${label.padEnd(70)} ${String(count).padStart(6)} → ${String(againByStream.get(label) ?? 0).padStart(6)}`);
console.log(
  `\nstart-up (median of 7): spec ${fmt(specStart.wall, 3)} s; check ${fmt(checkStart.wall, 3)} s, its first request after ${fmt(checkStart.firstRequest ?? Number.NaN, 3)} s; \`node -e 0\` alone ${fmt(nodeStart, 3)} s`,
);
if (largeRun) {
  console.log(
    `large organization (${largeStacks} stacks): ${largeRun.records} records of ${largeExpected} expected; peak RSS ${fmt(largeRun.peakRssMb, 0)} MB; final state ${fmt(largeRun.lastStateBytes / 1024, 0)} KiB (${fmt(largeRun.lastStateBytes / largeStacks, 0)} bytes per stack); STATE written ${fmt(largeRun.stateBytes / 1024 / 1024, 1)} MiB in all`,
  );
}

console.log('\ntargets:');
for (const [name, ok, value] of checks) console.log(`  ${ok ? 'met   ' : 'MISSED'} ${name}: ${value}`);
