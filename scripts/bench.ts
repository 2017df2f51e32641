// The benchmark: `npm run bench [-- --orgs 3 --stacks 1000 --updates 100 --latency 25 --concurrency 8]`.
// Starts the emulator with a per-request latency and a generated organization, runs a full `read`,
// changes a share of the stacks, runs an incremental `read` from the state, then a zero-latency run
// (where the tap's own CPU cost shows) and a small one (for memory growth), and prints the numbers.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PulumiEmulator } from '../emulator/server.js';
import { REPO_ROOT, startCliProcess } from './cli-process.js';

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
  },
});
const orgs = Number(flags.orgs);
const stacks = Number(flags.stacks);
const updates = Number(flags.updates);
const latency = Number(flags.latency);
const concurrency = Number(flags.concurrency);
const pageSize = Number(flags['page-size']);
const changedShare = Number(flags.changed);
const smallStacks = Number(flags['small-stacks']);

const work = await mkdtemp(join(tmpdir(), 'tap-pulumi-cloud-bench-'));
// The figures are for the stacks family, members and teams (what the emulator holds by the
// thousand), comparable from one release to the next whatever streams are added.
const BENCH_STREAMS = ['stacks', 'stack_updates', 'organization_members', 'organization_teams'];
const catalog = join(work, 'catalog.json');
const repoCatalog = JSON.parse(await readFile(join(REPO_ROOT, 'catalog.json'), 'utf8')) as { streams: { stream: { name: string } }[] };
await writeFile(catalog, JSON.stringify({ streams: repoCatalog.streams.filter((s) => BENCH_STREAMS.includes(s.stream.name)) }));

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
}

async function runTap(name: string, emulator: PulumiEmulator, options: { state?: unknown[]; keepLines?: boolean } = {}): Promise<RunResult> {
  const file = name.replace(/[^a-z0-9]+/gi, '-');
  const config = join(work, `${file}-config.json`);
  await writeFile(config, JSON.stringify({ token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: pageSize, max_concurrency: concurrency }));
  const args = ['read', '--config', config, '--catalog', catalog];
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
  const lastStates = new Map<string, unknown>();
  const recordLines: string[] = [];
  const onStdoutLine = (line: string) => {
    if (line.startsWith('{"type":"RECORD"')) {
      records++;
      if (options.keepLines) recordLines.push(line);
    } else if (line.startsWith('{"type":"STATE"')) {
      const message = JSON.parse(line) as { state: { stream: { stream_descriptor: { name: string } } } };
      lastStates.set(message.state.stream.stream_descriptor.name, { type: 'STREAM', stream: message.state.stream });
    } else if (line.includes('sync complete') || line.includes('finished with failures')) {
      summary = line;
    }
  };
  // The tap's own stderr shows as it comes.
  const onStderrLine = (line: string) => process.stderr.write(`${line}\n`);
  const { code } = await startCliProcess(args, { env: process.env, onStdoutLine, onStderrLine }).exited;
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
  };
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
const full = await runTap('full', emulator);
report(full, latency);
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

const header = ['run', 'records', 'requests', 'wall s', 'records/s', 'peak RSS MB', 'latency floor s', 'wall/floor', 'user CPU µs/record', 'emulator CPU s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));

const baselinePerRecord = (baselineSeconds / Math.max(1, zero.records)) * 1e6;
const tapPerRecord = (zero.userCpuSeconds / Math.max(1, zero.records)) * 1e6;
const checks: [string, boolean, string][] = [
  ['full sync within 1.3× of the latency floor', full.wallSeconds <= 1.3 * ((full.requests * latency) / 1000 / concurrency), `${fmt(full.wallSeconds / ((full.requests * latency) / 1000 / concurrency), 2)}×`],
  [`incremental (${changed} stacks changed) ≤ 3% of the full run's requests`, incremental.requests <= 0.03 * full.requests, `${fmt((100 * incremental.requests) / full.requests, 2)}%`],
  ['incremental ≤ 3% of the full run\'s time', incremental.wallSeconds <= 0.03 * full.wallSeconds, `${fmt((100 * incremental.wallSeconds) / full.wallSeconds, 2)}%`],
  ['peak RSS of the full run < 150 MB', full.peakRssMb < 150, `${fmt(full.peakRssMb, 0)} MB`],
  [`peak RSS within 10% between ${smallStacks} and ${stacks} stacks/org`, Math.abs(zero.peakRssMb - smallRun.peakRssMb) <= 0.1 * smallRun.peakRssMb, `${fmt(smallRun.peakRssMb, 0)} → ${fmt(zero.peakRssMb, 0)} MB`],
  ['user CPU per record ≤ 2× JSON.parse + JSON.stringify of the record', tapPerRecord <= 2 * baselinePerRecord, `${fmt(tapPerRecord, 1)} µs vs ${fmt(baselinePerRecord, 1)} µs (${fmt(tapPerRecord / baselinePerRecord, 2)}×)`],
];
console.log('\ntargets:');
for (const [name, ok, value] of checks) console.log(`  ${ok ? 'met   ' : 'MISSED'} ${name}: ${value}`);
