// Runs the built CLI as a user runs it (a child process), with files in a temporary folder.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import split2 from 'split2';

export const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every CLI output of this test process, for the token scan. */
export const allOutputs: CliResult[] = [];

// Every run of the CLI in every test is scanned: no Pulumi-shaped token may reach its output.
const PULUMI_TOKEN = /pul-[0-9a-f]{16,}/i;

function scan(result: CliResult): Error | undefined {
  allOutputs.push(result);
  const leak = PULUMI_TOKEN.exec(result.stdout) ?? PULUMI_TOKEN.exec(result.stderr);
  return leak ? new Error(`a token reached the CLI's output: ${leak[0].slice(0, 8)}…`) : undefined;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** A clean environment (no token from this shell), short retry backoff, and the test's own variables. */
function childEnv(options: RunOptions): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', TAP_PULUMI_CLOUD_RETRY_BASE_MS: '5' };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  return env;
}

export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(options), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      const leak = scan(result);
      if (leak) reject(leak);
      else resolve(result);
    });
  });
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
  child: ChildProcessWithoutNullStreams;
  /** stdout lines as they come. */
  lines: AsyncIterable<string>;
  /** Resolves when the process has exited, with everything it wrote. */
  done: Promise<CliResult>;
}

/** Starts the CLI and hands over its stdout line by line, for tests that act mid-run (kill, signal). */
export function startCli(args: readonly string[], options: RunOptions = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(options), stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const err: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const lineStream = child.stdout.pipe(split2());
  lineStream.on('data', (line: string) => stdout.push(line));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result = { code: code ?? (signal ? 128 : null), stdout: stdout.map((l) => `${l}\n`).join(''), stderr: Buffer.concat(err).toString('utf8') };
      const leak = scan(result);
      if (leak) reject(leak);
      else resolve(result);
    });
  });
  const lines: AsyncIterable<string> = {
    async *[Symbol.asyncIterator]() {
      let index = 0;
      for (;;) {
        while (index < stdout.length) yield stdout[index++] as string;
        if (lineStream.readableEnded) return;
        await new Promise<void>((resolve) => {
          const wake = () => {
            lineStream.off('data', wake);
            lineStream.off('end', wake);
            resolve();
          };
          lineStream.once('data', wake);
          lineStream.once('end', wake);
        });
      }
    },
  };
  return { child, lines, done };
}
