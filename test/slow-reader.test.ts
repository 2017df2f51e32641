// The built CLI piped into a reader that starts late and then reads small pieces slowly, as Python
// targets do: every complete sync must exit 0, also when its last small chunk waits for a full pipe.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PulumiEmulator } from '../emulator/server.js';
import { CLI, REPO_ROOT, runCli, tempDir, writeJson } from './support/cli.js';
import { checkSingerOutput, lastState, parseLines } from './support/protocol.js';

interface ReaderPace {
  /** The reader starts once the tap has logged 'sync complete', or after this long if that comes first. */
  startDelayMs: number;
  pieceBytes: number;
  pauseMs: number;
}

// Late means after the tap is done writing when it can get there (a target still starting up), measured
// on the tap's stderr rather than by the clock, which a loaded machine would stretch. Then it reads small
// pieces with pauses, like a target that handles one line at a time, and saves what it got.
const READER = `
const fs = require('node:fs');
const { READER_START_DELAY_MS, READER_PIECE_BYTES, READER_PAUSE_MS, READER_OUT, TAP_STDERR } = process.env;
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(ms));
const tapDone = () => { try { return fs.readFileSync(TAP_STDERR, 'utf8').includes('sync complete'); } catch { return false; } };
const startAt = Date.now() + Number(READER_START_DELAY_MS);
while (Date.now() < startAt && !tapDone()) sleep(10);
const piece = Buffer.alloc(Number(READER_PIECE_BYTES));
const parts = [];
for (;;) {
  let read;
  try { read = fs.readSync(0, piece, 0, piece.length, null); }
  catch (error) { if (error.code === 'EAGAIN') { sleep(1); continue; } throw error; }
  if (read === 0) break;
  parts.push(Buffer.from(piece.subarray(0, read)));
  sleep(READER_PAUSE_MS);
}
fs.writeFileSync(READER_OUT, Buffer.concat(parts));
`;

// A shell pipe, as Meltano or a shell makes one: Node's own child stdio is a socket pair, whose buffers
// differ from a pipe's. The tap's exit status goes to a file, since a pipeline reports the reader's.
const PIPELINE = '{ "$@" 2> "$TAP_STDERR"; echo $? > "$TAP_STATUS"; } | "$NODE" -e "$READER"';

interface PipedRun {
  /** undefined: killed after RUN_TIMEOUT_MS. */
  tapCode: number | undefined;
  readerCode: number | null;
  received: string;
  stderr: string;
}

const RUN_TIMEOUT_MS = 30_000;

async function readIfThere(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

/** `tap ARGS | slow reader` in a shell; its files go to `dir`, named after `name`. */
async function pipeIntoSlowReader(args: readonly string[], pace: ReaderPace, dir: string, name: string): Promise<PipedRun> {
  const paths = { status: join(dir, `${name}.status`), out: join(dir, `${name}.jsonl`), stderr: join(dir, `${name}.stderr`) };
  const env = {
    PATH: process.env.PATH ?? '',
    NODE: process.execPath,
    READER,
    TAP_STATUS: paths.status,
    TAP_STDERR: paths.stderr,
    READER_OUT: paths.out,
    READER_START_DELAY_MS: String(pace.startDelayMs),
    READER_PIECE_BYTES: String(pace.pieceBytes),
    READER_PAUSE_MS: String(pace.pauseMs),
  };
  // Its own process group, so that a hung run is killed with everything in it.
  const shell = spawn('sh', ['-c', PIPELINE, 'sh', process.execPath, CLI, ...args], { env, stdio: 'ignore', detached: true });
  const timer = setTimeout(() => process.kill(-(shell.pid ?? 0), 'SIGKILL'), RUN_TIMEOUT_MS);
  const readerCode = await new Promise<number | null>((resolve) => shell.on('close', resolve));
  clearTimeout(timer);
  const status = await readIfThere(paths.status);
  return {
    tapCode: status === undefined ? undefined : Number(status),
    readerCode,
    received: (await readIfThere(paths.out)) ?? '',
    stderr: (await readIfThere(paths.stderr)) ?? '',
  };
}

/** Pieces of 64 to 512 bytes at `bytesPerMs`, and start delays spread over `delays`. */
function paces(count: number, bytesPerMs: number, delays: { fromMs: number; spanMs: number }): ReaderPace[] {
  return Array.from({ length: count }, (_, i) => {
    const pieceBytes = 64 << i % 4;
    return { startDelayMs: delays.fromMs + Math.round((delays.spanMs * i) / count), pieceBytes, pauseMs: pieceBytes / bytesPerMs };
  });
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop() ?? '';
}

function recordCount(stdout: string): number {
  return (parseLines(stdout) as { type?: unknown }[]).filter((m) => m.type === 'RECORD').length;
}

function lastLineType(stdout: string): unknown {
  const messages = parseLines(stdout) as { type?: unknown }[];
  return messages[messages.length - 1]?.type;
}

/** What is wrong with one run: its exit, or what the reader got compared with an unhurried run. */
function problems(run: PipedRun, unhurried: string): string[] {
  if (run.tapCode === undefined) return [`the tap hung, killed after ${RUN_TIMEOUT_MS} ms`];
  if (run.tapCode !== 0) {
    return [`the tap exited ${run.tapCode} although ${run.received.length} characters arrived, the last line ${String(lastLineType(run.received))}; stderr: ${lastLine(run.stderr)}`];
  }
  if (run.readerCode !== 0) return [`the reader exited ${run.readerCode}`];
  const found = checkSingerOutput(run.received);
  if (lastLineType(run.received) !== 'STATE') found.push(`the last line is ${String(lastLineType(run.received))}, not STATE`);
  const records = recordCount(run.received);
  if (records !== recordCount(unhurried)) found.push(`${records} records instead of ${recordCount(unhurried)}`);
  return found;
}

/** A Linux pipe's capacity: output beyond it waits in the tap until the reader reads. */
const PIPE_BYTES = 64 * 1024;
/** What Node buffers for a stream before write() returns false, after which 'drain' follows. */
const HIGH_WATER_MARK = 16 * 1024;
const RUNS = 12;
const PARALLEL = 4;

void describe('a slow reader gets a complete sync and exit status 0', () => {
  let emulator: PulumiEmulator;
  let dir: string;
  let config: string;
  let catalog: string;

  before(async () => {
    // An incremental sync writes a little more than a pipe holds: its last chunk waits in the tap, too
    // small for write() to have asked for a 'drain'.
    emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 31, updatesPerStack: 1 });
    dir = await tempDir();
    // Only the final STATEs: checkpoints during a run depend on timing, and so would the output's size.
    config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, checkpoint_interval_seconds: 3600 });
    // The output sizes below are those of the stacks family, members and teams.
    const all = JSON.parse(await readFile(join(REPO_ROOT, 'catalog.json'), 'utf8')) as { streams: { stream: { name: string } }[] };
    catalog = await writeJson(dir, 'catalog.json', { streams: all.streams.filter((s) => ['stacks', 'stack_updates', 'organization_members', 'organization_teams'].includes(s.stream.name)) });
  });
  after(() => emulator.close());

  /** Runs `tap ARGS | slow reader` once per pace, PARALLEL at a time, and fails with every run that went wrong. */
  async function runMany(label: string, args: readonly string[], all: readonly ReaderPace[], unhurried: string): Promise<void> {
    const failures: string[] = [];
    for (let start = 0; start < all.length; start += PARALLEL) {
      const batch = all.slice(start, start + PARALLEL);
      const runs = await Promise.all(batch.map((pace, i) => pipeIntoSlowReader(args, pace, dir, `${label}-${start + i}`)));
      runs.forEach((run, i) => {
        const found = problems(run, unhurried);
        if (found.length > 0) failures.push(`${JSON.stringify(batch[i])}: ${found.join('; ')}`);
      });
    }
    assert.deepEqual(failures, [], `${failures.length} of ${all.length} runs failed`);
  }

  void it(`an incremental sync (--state), ${RUNS} times: exit 0 and every record read, the last line a STATE`, async () => {
    const full = await runCli(['--config', config, '--catalog', catalog]);
    assert.equal(full.code, 0, full.stderr);
    const args = ['--config', config, '--catalog', catalog, '--state', await writeJson(dir, 'state.json', lastState(full.stdout, 'singer'))];
    const unhurried = await runCli(args);
    assert.equal(unhurried.code, 0, unhurried.stderr);
    const bytes = Buffer.byteLength(unhurried.stdout);
    assert.ok(bytes > PIPE_BYTES && bytes < PIPE_BYTES + HIGH_WATER_MARK, `${bytes} bytes: a little more than a pipe holds`);
    // The tap has written everything long before the fallback delay.
    await runMany('incremental', args, paces(RUNS, 256, { fromMs: 5_000, spanMs: 0 }), unhurried.stdout);
  });

  void it(`a full sync, ${RUNS} times: exit 0 and every record read, the last line a STATE`, async () => {
    const args = ['--config', config, '--catalog', catalog];
    const unhurried = await runCli(args);
    assert.equal(unhurried.code, 0, unhurried.stderr);
    assert.ok(Buffer.byteLength(unhurried.stdout) > PIPE_BYTES + HIGH_WATER_MARK, 'the tap must wait for the reader');
    // The tap waits for the reader well before it is done: the clock decides when the reader starts, and
    // the reader is slower than the tap, so that the pipe is full when the last lines come.
    await runMany('full', args, paces(RUNS, 64, { fromMs: 100, spanMs: 700 }), unhurried.stdout);
  });
});
