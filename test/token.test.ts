// The token never reaches stdout or stderr, whatever the command, the failure or the log level.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PulumiEmulator } from '../emulator/server.js';
import { allOutputs, REPO_ROOT, runCli, tempDir, writeJson } from './support/cli.js';

// Not shaped like a Pulumi token, so only redaction by value can hide it.
const TOKEN = 'Zq9-custom-"token"-7781/xyz';

void describe('the token stays secret', () => {
  let emulator: PulumiEmulator;
  let dir: string;
  before(async () => {
    emulator = await PulumiEmulator.start({ token: TOKEN, orgs: ['acme'], stacksPerOrg: 4, updatesPerStack: 5, orgsWithoutTeams: ['acme'] });
    dir = await tempDir();
  });
  after(async () => {
    await emulator.close();
    const leaks = allOutputs.filter((o) => [TOKEN, JSON.stringify(TOKEN).slice(1, -1), encodeURIComponent(TOKEN)].some((t) => o.stdout.includes(t) || o.stderr.includes(t)));
    assert.equal(leaks.length, 0, `token found in output: ${JSON.stringify(leaks[0])}`);
    assert.ok(allOutputs.length >= 8, 'the scan covered every run');
  });

  void it('is absent from every output, in success and failure, at debug level', async () => {
    const good = await writeJson(dir, 'good.json', { token: TOKEN, organizations: ['acme'], base_url: emulator.url });
    const debug = { LOG_LEVEL: 'debug' };
    const runs = [
      await runCli(['check', '--config', good], { env: debug }),
      await runCli(['check', '--config', await writeJson(dir, 'wrong.json', { token: `${TOKEN}-wrong`, organizations: ['acme'], base_url: emulator.url })], { env: debug }),
      await runCli(['read', '--config', good, '--catalog', join(REPO_ROOT, 'catalog.json'), '--debug']),
      await runCli(['--config', good], { env: debug }),
      await runCli(['--config', await writeJson(dir, 'env.json', { organizations: ['acme'], base_url: emulator.url })], { env: { ...debug, PULUMI_ACCESS_TOKEN: TOKEN } }),
      await runCli(['discover', '--config', await writeJson(dir, 'bad.json', { token: TOKEN, organizations: [] })], { env: debug }),
      await runCli(['read', '--config', await writeJson(dir, 'http.json', { token: TOKEN, organizations: ['acme'], base_url: 'http://example.com' }), '--catalog', join(REPO_ROOT, 'catalog.json')], { env: debug }),
    ];
    const broken = join(dir, 'broken.json');
    await writeFile(broken, `{"organizations": ["acme"], "token": "${TOKEN}" "base_url": 1}`);
    runs.push(await runCli(['check', '--config', broken], { env: debug }), await runCli(['--config', broken], { env: debug }));
    // The runs did exercise their paths: a success, a rejection, a skipped stream, config errors.
    assert.equal(runs[0]?.code, 0);
    assert.match(runs[1]?.stdout ?? '', /rejected the access token/);
    assert.equal(runs[2]?.code, 0);
    assert.match(runs[2]?.stdout ?? '', /organization_teams \(organization acme\): not available \(403\)/);
    assert.match(runs[6]?.stdout ?? '', /must use https/);
    assert.match(runs[7]?.stdout ?? '', /is not valid JSON \(line 1, column \d+\)/);
  });
});
