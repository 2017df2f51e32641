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

  void it('no organization token carries its value, whatever the server sends', () => {
    const values = emulator.orgNames().flatMap((org) => emulator.orgAccessTokens(org).flatMap((t) => (t.tokenValue ? [t.tokenValue] : [])));
    assert.ok(values.length > 0, 'the emulator sends fake token values there');
    for (const value of values) assert.ok(!output.includes(value), `a token value (${value.slice(0, 10)}…) reached the output`);
    assert.ok(!/token_?value/i.test(output));
  });

  void it("no webhook carries its secret, the secret's ciphertext, or the credential in its payload URL", () => {
    const hooks = emulator.orgNames().flatMap((org) => emulator.orgWebhooks(org));
    const secrets = hooks.flatMap((h) => [h.secretCiphertext, h.secret ?? ''].filter((s) => s !== ''));
    assert.ok(hooks.some((h) => h.secret) && hooks.some((h) => h.secretCiphertext !== ''), 'the emulator sends fake secrets and ciphertexts there');
    for (const secret of secrets) assert.ok(!output.includes(secret), `a webhook secret or ciphertext (${secret.slice(0, 10)}…) reached the output`);
    // The URL's credential is its last path segment (Slack, Teams) or its query (raw receivers).
    for (const hook of hooks) {
      const url = new URL(hook.payloadUrl);
      const credential = url.search === '' ? (url.pathname.split('/').at(-1) ?? '') : url.search.slice(1);
      assert.ok(credential.length >= 16 && !output.includes(credential), `the credential of ${hook.name}'s payload URL reached the output`);
    }
    assert.ok(!/secret_?ciphertext/i.test(output));
  });

  void it("no stack's encrypted config key or salt, no credential of a schedule (environment variables, pre-run commands, git or registry secrets), no team token value", () => {
    const secrets: string[] = [];
    for (const org of emulator.orgNames()) {
      for (const stack of emulator.stacks(org)) {
        const config = emulator.stackDetail(org, stack.projectName, stack.stackName).config as Record<string, string> | undefined;
        if (config) secrets.push(config.encryptedKey ?? '', config.encryptionSalt ?? '');
        for (const schedule of emulator.stackSchedules(org, stack.projectName, stack.stackName)) secrets.push(...(JSON.stringify(schedule).match(/schedule-secret-[0-9a-f]+/g) ?? []));
      }
      for (const team of emulator.teams(org)) for (const token of emulator.teamTokens(org, team.name)) secrets.push(token.tokenValue ?? '');
    }
    const planted = secrets.filter((secret) => secret !== '');
    assert.ok(planted.filter((s) => s.startsWith('ENCRYPTED-KEY-')).length > 0 && planted.filter((s) => s.startsWith('schedule-secret-')).length > 0 && planted.filter((s) => s.startsWith('team-token-value-')).length > 0, 'the emulator holds each kind');
    for (const secret of planted) assert.ok(!output.includes(secret), `${secret.slice(0, 16)}… reached the output`);
    assert.doesNotMatch(output, /encrypted_?key|encryption_?salt|environment_?variables|pre_?run_?commands|git_?auth/i);
  });
});
