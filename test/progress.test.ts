// The live progress line: drawn in place on a terminal, throttled, cleared at the end, never elsewhere.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { PulumiEmulator } from '../emulator/server.js';
import { formatProgress, ProgressLine } from '../src/io/progress.js';
import { CLI, tempDir, writeJson } from './support/cli.js';

function terminal(): { stream: Writable; written: string[] } {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      done();
    },
  });
  (stream as Writable & { isTTY: boolean }).isTTY = true;
  return { stream, written };
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

void describe('progress line', () => {
  void it('formats parents read of listed, records and rate', () => {
    assert.equal(formatProgress({ parentsListed: 3000, parentsDone: 1200, records: 45321 }, 9000), 'parents 1,200/3,000 read · 45,321 records · 5,036 records/s · 9 s');
  });

  void it('redraws in place at most every 250 ms and clears itself', () => {
    const { stream, written } = terminal();
    let now = 1000;
    const line = new ProgressLine(stream, () => now);
    line.update({ parentsListed: 10, parentsDone: 1, records: 5 });
    now += 100;
    line.update({ parentsListed: 10, parentsDone: 2, records: 9 });
    now += 200;
    line.update({ parentsListed: 10, parentsDone: 3, records: 12 });
    line.clear();
    assert.equal(written.length, 3);
    assert.ok(written[0]?.startsWith('\r\x1b[Kparents 1/10 read'));
    assert.ok(written[1]?.startsWith('\r\x1b[Kparents 3/10 read'));
    assert.equal(written[2], '\r\x1b[K');
  });

  void it('is only for terminals', () => {
    assert.equal(ProgressLine.forTerminal(new Writable({ write: (_c, _e, done) => done() })), undefined);
    assert.ok(ProgressLine.forTerminal(terminal().stream));
  });

  void it('appears on a real terminal (a pseudo-terminal from script(1)) and not on a pipe', async () => {
    const emulator = await PulumiEmulator.start({ orgs: ['acme'], stacksPerOrg: 40, updatesPerStack: 20, latencyMs: 20 });
    try {
      const config = await writeJson(await tempDir(), 'config.json', { token: emulator.token, organizations: ['acme'], base_url: emulator.url, max_concurrency: 2 });
      // The emulator lives in this process: run the children asynchronously so it can answer them.
      const command = `${process.execPath} ${CLI} --config ${config} > /dev/null`;
      const tty = await run('script', ['-qec', command, '/dev/null'], { TERM: 'xterm' });
      assert.equal(tty.code, 0, tty.stderr);
      const erase = '\r\u001b[K';
      assert.ok(tty.stdout.includes(`${erase}parents `), 'the line is drawn in place');
      assert.match(tty.stdout, /parents \d+\/\d+ read · [\d,]+ records/);
      const piped = await run(process.execPath, [CLI, '--config', config]);
      assert.equal(piped.code, 0);
      assert.ok(!piped.stderr.includes('\x1b[K'));
    } finally {
      await emulator.close();
    }
  });
});
