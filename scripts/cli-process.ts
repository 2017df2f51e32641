// Runs the built CLI as a child process: the one way the benchmark, the demo and the tests start it.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const CLI_PATH = join(REPO_ROOT, 'dist/src/cli.js');

export interface CliProcessOptions {
  /** The child's whole environment: each caller decides what of its own (a token, log settings) it may see. */
  env: NodeJS.ProcessEnv;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Keep all of stdout for the result; off for runs too large to hold. */
  keepStdout?: boolean;
  /** Killed (SIGKILL) after this long. */
  timeoutMs?: number;
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Everything written to stdout, when kept; '' otherwise. */
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  /** The CLI reads no input, so stdin is /dev/null. */
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Settles once the CLI has exited and all of its output has been read. */
  exited: Promise<CliExit>;
}

/** Hands over a stream's text line by line (without the line break), the last line even without one. */
function forEachLine(stream: Readable, onLine: (line: string) => void): void {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const emit = (line: string) => onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  stream.on('data', (chunk: Buffer) => {
    const lines = (partial + decoder.write(chunk)).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) emit(line);
  });
  stream.on('end', () => {
    const last = partial + decoder.end();
    if (last !== '') emit(last);
  });
}

function collect(stream: Readable): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

export function startCliProcess(args: readonly string[], options: CliProcessOptions): CliProcess {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Listeners go on before any output can arrive, so the callbacks see every line.
  if (options.onStdoutLine) forEachLine(child.stdout, options.onStdoutLine);
  if (options.onStderrLine) forEachLine(child.stderr, options.onStderrLine);
  const stdout = options.keepStdout ? collect(child.stdout) : () => '';
  // Unread, a full pipe would stall the CLI.
  if (!options.onStdoutLine && !options.keepStdout) child.stdout.resume();
  const stderr = collect(child.stderr);
  const exited = new Promise<CliExit>((resolve, reject) => {
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close' comes after the output streams have ended, so every line has been handed over by now.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout(), stderr: stderr() });
    });
  });
  return { child, exited };
}
