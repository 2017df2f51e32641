// What a first-time user meets: a misspelt setting is named with the setting meant, in both protocols.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, tempDir, writeJson } from './support/cli.js';
import { parseLines } from './support/protocol.js';

void describe('a first-time user', () => {
  void it('is told in one line about a misspelt setting, with the nearest known one (Singer and Airbyte)', async () => {
    const config = await writeJson(await tempDir(), 'config.json', { token: 'pul-0123456789abcdef0123', organizations: ['acme'], 'start-date': '2024-01-01' });
    const singer = await runCli(['--config', config, '--discover']);
    assert.equal(singer.code, 0, singer.stderr);
    assert.deepEqual(singer.stderr.trim().split('\n'), ["WARN config: unknown setting 'start-date' is ignored (did you mean 'start_date'?)"]);
    const airbyte = await runCli(['discover', '--config', config]);
    assert.equal(airbyte.code, 0);
    const logs = (parseLines(airbyte.stdout) as { type: string; log?: { level: string; message: string } }[]).filter((m) => m.type === 'LOG');
    assert.deepEqual(logs.map((m) => m.log), [{ level: 'WARN', message: "config: unknown setting 'start-date' is ignored (did you mean 'start_date'?)" }]);
  });
});
