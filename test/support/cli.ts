// Runs the built CLI as a user runs it (a child process), with files in a temporary folder.
import type { ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CLI_PATH, REPO_ROOT, startCliProcess, type CliExit } from '../../scripts/cli-process.js';

export { REPO_ROOT };
export const CLI = CLI_PATH;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every CLI output of this test process, for the token scan. */
export const allOutputs: CliResult[] = [];

// Every run of the CLI in every test is scanned: no Pulumi-shaped token may reach its output.
const PULUMI_TOKEN = /pul-[0-9a-f]{16,}/i;

function scan(result: CliResult): CliResult {
  allOutputs.push(result);
  const leak = PULUMI_TOKEN.exec(result.stdout) ?? PULUMI_TOKEN.exec(result.stderr);
  if (leak) throw new Error(`a token reached the CLI's output: ${leak[0].slice(0, 8)}…`);
  return result;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** A clean environment (no token from this shell) and the test's own variables. */
function childEnv(options: RunOptions): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  return env;
}

/** Retries wait milliseconds, not seconds, in tests: a config file of its own, given after the test's (later files win). */
const FAST_RETRIES = join(mkdtempSync(join(tmpdir(), 'tap-pulumi-cloud-retries-')), 'fast-retries.json');
writeFileSync(FAST_RETRIES, JSON.stringify({ retry_base_seconds: 0.005 }));

function withFastRetries(args: readonly string[]): readonly string[] {
  return args.includes('--config') ? [...args, '--config', FAST_RETRIES] : args;
}

export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const { exited } = startCliProcess(withFastRetries(args), { env: childEnv(options), keepStdout: true, timeoutMs: options.timeoutMs ?? 60_000 });
  const { code, stdout, stderr } = await exited;
  return scan({ code, stdout, stderr });
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tap-pulumi-cloud-test-'));
}

export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(value));
  return path;
}

export interface RunningCli {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** stdout lines as they come. */
  lines: AsyncIterable<string>;
  /** Resolves when the process has exited, with everything it wrote. */
  done: Promise<CliResult>;
}

/** A shell's view of the exit: a process ended by a signal has no code, and counts as a failure. */
function exitResult({ code, signal, stdout, stderr }: CliExit): CliResult {
  return { code: code ?? (signal ? 128 : null), stdout, stderr };
}

/** Starts the CLI and hands over its stdout line by line, for tests that act mid-run (kill, signal). */
export function startCli(args: readonly string[], options: RunOptions = {}): RunningCli {
  const seen: string[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const wakeReader = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const { child, exited } = startCliProcess(withFastRetries(args), {
    env: childEnv(options),
    keepStdout: true,
    onStdoutLine: (line) => {
      seen.push(line);
      wakeReader();
    },
  });
  // The exit, not the end of stdout, ends the lines: a test may destroy stdout before it ends.
  const finish = () => {
    ended = true;
    wakeReader();
  };
  exited.then(finish, finish);
  const done = exited.then((exit) => scan(exitResult(exit)));
  const lines: AsyncIterable<string> = {
    async *[Symbol.asyncIterator]() {
      for (let index = 0; ; ) {
        const line = seen[index];
        if (line !== undefined) {
          index += 1;
          yield line;
        } else if (ended) {
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
    },
  };
  return { child, lines, done };
}

/** Runs the CLI and kills it (SIGKILL) once it has written `records` records: the lines it wrote by then. */
export async function killedAfterRecords(args: readonly string[], records: number, options: RunOptions = {}): Promise<string[]> {
  const run = startCli(args, options);
  const seen: string[] = [];
  let count = 0;
  for await (const line of run.lines) {
    seen.push(line);
    if (line.startsWith('{"type":"RECORD"') && ++count >= records) {
      run.child.kill('SIGKILL');
      break;
    }
  }
  await run.done;
  return seen;
}
