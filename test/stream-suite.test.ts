// The standard suite every stream of the registry passes, written once: a valid schema whose keys
// and cursor are declared, records that validate with unique keys, a second incremental run that
// reads no more than the first, and the same records under a mix of faults. Each stream runs alone,
// through the built CLI against the emulator. A new stream gets all of it by being registered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { faultInjector } from '../emulator/faults.js';
import { PulumiEmulator } from '../emulator/server.js';
import { SchemaRegistry } from '../src/streams/schemas.js';
import { STREAMS } from '../src/streams/index.js';
import { createAjv } from '../src/config/ajv.js';
import { runCli, tempDir, writeJson } from './support/cli.js';
import { assertValidAndUnique, primaryKey } from './support/expect.js';
import { lastState, recordsByStream } from './support/protocol.js';

const schemas = new SchemaRegistry();

void describe('every stream passes the standard suite', () => {
  let emulator: PulumiEmulator;
  let dir: string;
  let config: string;

  before(async () => {
    emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 5, updatesPerStack: 7, membersPerOrg: 6, teamsPerOrg: 2, seed: 5 });
    dir = await tempDir();
    config = await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: 3, request_timeout_seconds: 2, max_attempts: 5 });
  });
  after(() => emulator.close());

  for (const stream of STREAMS) {
    void describe(stream.name, () => {
      const incremental = stream.cursor !== undefined;
      const catalog = () =>
        writeJson(dir, `catalog-${stream.name}.json`, {
          streams: [
            {
              stream: { name: stream.name, json_schema: {}, supported_sync_modes: incremental ? ['full_refresh', 'incremental'] : ['full_refresh'] },
              sync_mode: incremental ? 'incremental' : 'full_refresh',
              destination_sync_mode: incremental ? 'append_dedup' : 'overwrite',
            },
          ],
        });
      const records = (stdout: string) => recordsByStream(stdout, 'airbyte').get(stream.name) ?? [];

      void it('has a valid schema that declares its keys (required) and its cursor', () => {
        const schema = schemas.schema(stream.name);
        assert.doesNotThrow(() => createAjv().compile(schema));
        for (const key of stream.keyProperties) {
          assert.ok(schema.properties?.[key], `key ${key} is a property`);
          assert.ok(schema.required?.includes(key), `key ${key} is required`);
        }
        if (stream.cursor) assert.ok(schema.properties?.[stream.cursor.field], `cursor ${stream.cursor.field} is a property`);
      });

      void it('emits records that validate, with unique keys; a second incremental run reads no more', async () => {
        emulator.beforeRoute = undefined;
        const path = await catalog();
        emulator.resetRequests();
        const first = await runCli(['read', '--config', config, '--catalog', path]);
        assert.equal(first.code, 0, first.stdout.slice(-2000));
        const firstRequests = emulator.requests.length;
        assert.ok(records(first.stdout).length > 0, 'the emulator has records for it');
        assertValidAndUnique(new Map([[stream.name, records(first.stdout)]]));
        if (!incremental) return;
        emulator.resetRequests();
        const second = await runCli(['read', '--config', config, '--catalog', path, '--state', await writeJson(dir, `state-${stream.name}.json`, lastState(first.stdout, 'airbyte'))]);
        assert.equal(second.code, 0, second.stdout.slice(-2000));
        assert.ok(records(second.stdout).length <= records(first.stdout).length);
        assert.ok(emulator.requests.length <= firstRequests, `${emulator.requests.length} requests after ${firstRequests}`);
      });

      void it('loses nothing under a mix of faults', async () => {
        emulator.beforeRoute = undefined;
        const path = await catalog();
        const clean = await runCli(['read', '--config', config, '--catalog', path]);
        assert.equal(clean.code, 0);
        // Not the token check: it tries twice only (a check answers quickly), and two faults in a row
        // there, which the request count before it decides, would stop the run before any stream.
        emulator.beforeRoute = faultInjector({ rate: 0.2, slowMs: 2500, maxConsecutive: 2, seed: stream.name.length, paths: (path) => path !== '/api/user' }).hook;
        try {
          const faulty = await runCli(['read', '--config', config, '--catalog', path], { timeoutMs: 120_000 });
          assert.equal(faulty.code, 0, faulty.stdout.slice(-2000));
          const keys = (stdout: string) => new Set(records(stdout).map((record) => primaryKey(stream.name, record)));
          assert.deepEqual(keys(faulty.stdout), keys(clean.stdout));
        } finally {
          emulator.beforeRoute = undefined;
        }
      });
    });
  }
});
