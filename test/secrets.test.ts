// Secrets never leave, whichever stream carries them in the API: every stream is synced against the
// emulator (whose data holds fake secrets where the real API has real ones) and the output is
// searched for each of them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PulumiEmulator } from '../emulator/server.js';
import { STREAM_NAMES } from '../src/streams/index.js';
import { runCli, tempDir, writeJson } from './support/cli.js';
import { recordsByStream } from './support/protocol.js';

void describe('secrets never reach the output', () => {
  let emulator: PulumiEmulator;
  let output: string;

  before(async () => {
    emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 8, updatesPerStack: 10, seed: 3 });
    const dir = await tempDir();
    const config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url });
    // Every stream, audit logs (off by default) included.
    const catalog = await writeJson(dir, 'catalog.json', {
      streams: STREAM_NAMES.map((name) => ({ stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh'] }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' })),
    });
    const result = await runCli(['read', '--config', config, '--catalog', catalog]);
    assert.equal(result.code, 0, result.stdout.slice(-2000));
    output = result.stdout + result.stderr;
    for (const stream of STREAM_NAMES) assert.ok((recordsByStream(result.stdout, 'airbyte').get(stream)?.length ?? 0) > 0, `${stream} was synced`);
  });
  after(() => emulator.close());

  void it("no deployment carries its updates' environment variables", () => {
    // The variables that hold credentials (others, like vcs.kind, are ordinary text found elsewhere too).
    const secrets = emulator
      .orgNames()
      .flatMap((org) => emulator.deployments(org).flatMap((d) => d.updates.flatMap((u) => Object.entries(u.environment).filter(([name]) => /secret|key|token|password/i.test(name)).map(([, value]) => value))));
    assert.ok(secrets.length > 0, 'the emulator holds fake secrets there');
    for (const secret of secrets) assert.ok(!output.includes(secret), `a deployment's environment variable (${secret.slice(0, 12)}…) reached the output`);
    assert.ok(!output.includes('AWS_SECRET_ACCESS_KEY'));
  });

  void it('no update carries the ciphertext of a secret config value, nor requestedByToken', () => {
    const ciphertexts: string[] = [];
    for (const org of emulator.orgNames()) {
      for (const stack of emulator.stacks(org)) {
        for (const update of emulator.updates(org, stack.projectName, stack.stackName)) {
          for (const value of Object.values(update.info.config)) if (value.secret) ciphertexts.push(value.string);
        }
      }
    }
    assert.ok(ciphertexts.length > 0, 'the emulator holds ciphertext there');
    for (const ciphertext of ciphertexts) assert.ok(!output.includes(ciphertext), 'a secret config value reached the output');
    assert.ok(!/requested_?by_?token/i.test(output));
  });
});
