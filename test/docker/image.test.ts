// The Docker image, built and run as Airbyte runs it, against the emulator on the host's loopback.
// Needs a Docker engine at DOCKER_HOST; without one these tests are skipped and say why
// (DOCKER_TEST_REQUIRED=1 turns that into a failure). The packaging files are checked in any case.
//   DOCKER_TEST_BASE_IMAGE     passed as --build-arg BASE_IMAGE
//   DOCKER_TEST_BUILD_NETWORK  passed as docker build --network (e.g. host)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { PulumiEmulator } from '../../emulator/server.js';
import { DOCUMENTATION_URL } from '../../src/config/spec.js';
import { REPO_ROOT, tempDir, writeJson, type CliResult } from '../support/cli.js';
import { assertValidAndUnique, counts, DEFAULT_STREAMS, expectedCounts } from '../support/expect.js';
import { STREAM_NAMES } from '../../src/streams/index.js';
import { checkAirbyteOutput, parseLines, recordsByStream } from '../support/protocol.js';

const ALL = DEFAULT_STREAMS;
const IMAGE = 'source-pulumi-cloud:test';
const APP_DIR = '/opt/tap-pulumi-cloud';

function docker(args: readonly string[], timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => err.push(Buffer.from(e.message)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Why Docker tests cannot run here, or undefined when an engine answers. */
async function engineProblem(): Promise<string | undefined> {
  if (!process.env.DOCKER_HOST) return 'DOCKER_HOST is not set';
  const version = await docker(['version', '--format', '{{.Server.Version}}'], 30_000);
  if (version.code !== 0) return `\`docker version\` failed: ${tail(version.stderr, 3) || `exit ${String(version.code)}`}`;
  return undefined;
}

function skipOrFail(t: TestContext, problem: string): void {
  if (process.env.DOCKER_TEST_REQUIRED === '1') assert.fail(`DOCKER_TEST_REQUIRED=1 but there is no Docker engine: ${problem}`);
  t.skip(`no Docker engine: ${problem}`);
}

// ---- the packaging files, read as text (no YAML dependency: metadata.yaml is flat enough)

interface Packaging {
  labels: Record<string, string>;
  entrypoint: string[];
  airbyteEntrypoint: string;
  fromLines: string[];
  metadata: Record<string, string>;
  metadataText: string;
  pkg: { version: string; license: string };
}

async function readPackaging(): Promise<Packaging> {
  const dockerfile = (await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
  const lines = dockerfile.split('\n').map((l) => l.trim());
  const labels: Record<string, string> = {};
  for (const line of lines.filter((l) => l.startsWith('LABEL '))) {
    for (const m of line.matchAll(/([\w.-]+)="([^"]*)"/g)) labels[m[1] as string] = m[2] as string;
  }
  const entrypointLine = lines.find((l) => l.startsWith('ENTRYPOINT '));
  const envMatch = /^ENV AIRBYTE_ENTRYPOINT="([^"]*)"$/m.exec(dockerfile);
  const metadataText = await readFile(join(REPO_ROOT, 'metadata.yaml'), 'utf8');
  const metadata: Record<string, string> = {};
  for (const m of metadataText.matchAll(/^ {2}(\w+): *(\S.*)$/gm)) metadata[m[1] as string] = (m[2] as string).replace(/^"(.*)"$/, '$1');
  return {
    labels,
    entrypoint: entrypointLine ? (JSON.parse(entrypointLine.slice('ENTRYPOINT '.length)) as string[]) : [],
    airbyteEntrypoint: envMatch?.[1] ?? '',
    fromLines: lines.filter((l) => /^FROM\s/i.test(l)),
    metadata,
    metadataText,
    pkg: JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as Packaging['pkg'],
  };
}

void describe('docker: packaging files', () => {
  void it('Dockerfile, metadata.yaml and package.json agree', async () => {
    const p = await readPackaging();
    assert.match(p.metadataText, /^metadataSpecVersion: "1\.0"$/m);
    assert.match(p.metadataText, /^ {2}allowedHosts:\n {4}hosts:\n {6}- api\.pulumi\.com\n/m);
    assert.match(p.metadata.definitionId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(p.metadata.connectorType, 'source');
    assert.equal(p.metadata.connectorSubtype, 'api');
    assert.equal(p.metadata.releaseStage, 'alpha');
    assert.equal(p.metadata.dockerImageTag, p.pkg.version);
    assert.equal(p.metadata.license, p.pkg.license);
    assert.equal(p.metadata.documentationUrl, DOCUMENTATION_URL);
    assert.deepEqual(p.labels, { 'io.airbyte.name': p.metadata.dockerRepository, 'io.airbyte.version': p.pkg.version });
    assert.equal(p.airbyteEntrypoint, p.entrypoint.join(' '));
    assert.equal(p.entrypoint[0], 'node');
    assert.ok(p.entrypoint[1]?.startsWith(`${APP_DIR}/`), `entrypoint is under ${APP_DIR}`);
    assert.ok(p.fromLines.length >= 2, 'multi-stage');
    for (const from of p.fromLines) assert.match(from, /^FROM \$\{BASE_IMAGE\}( AS \w+)?$/);
  });
});

// ---- the image

void describe('docker: the image, run as Airbyte runs it', () => {
  let problem: string | undefined;
  let built = false;
  let emulator: PulumiEmulator | undefined;
  let dir: string | undefined;

  before(async () => {
    problem = await engineProblem();
  });
  after(async () => {
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function ready(t: TestContext): boolean {
    if (problem !== undefined) {
      skipOrFail(t, problem);
      return false;
    }
    return true;
  }

  void it('builds', async (t) => {
    if (!ready(t)) return;
    const args = ['build', '-t', IMAGE];
    if (process.env.DOCKER_TEST_BASE_IMAGE) args.push('--build-arg', `BASE_IMAGE=${process.env.DOCKER_TEST_BASE_IMAGE}`);
    if (process.env.DOCKER_TEST_BUILD_NETWORK) args.push('--network', process.env.DOCKER_TEST_BUILD_NETWORK);
    const started = Date.now();
    const result = await docker([...args, REPO_ROOT], 20 * 60_000);
    assert.equal(result.code, 0, `docker ${args.join(' ')} failed:\n${tail(result.stdout)}\n${tail(result.stderr)}`);
    t.diagnostic(`docker build took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    built = true;
  });

  void it('carries the Airbyte labels and entrypoint, runs as airbyte (uid 1000) in a writable /airbyte', async (t) => {
    if (!ready(t)) return;
    assert.ok(built, 'the image was not built (see the build test)');
    const p = await readPackaging();
    const inspect = await docker(['image', 'inspect', IMAGE, '--format', '{{json .Config}}'], 60_000);
    assert.equal(inspect.code, 0, inspect.stderr);
    const config = JSON.parse(inspect.stdout) as { Labels: Record<string, string> | null; Entrypoint: string[]; Env: string[]; User: string; WorkingDir: string };
    assert.equal(config.Labels?.['io.airbyte.name'], p.metadata.dockerRepository);
    assert.equal(config.Labels?.['io.airbyte.version'], p.metadata.dockerImageTag);
    assert.deepEqual(config.Entrypoint, p.entrypoint);
    assert.ok(config.Env.includes(`AIRBYTE_ENTRYPOINT=${config.Entrypoint.join(' ')}`), `AIRBYTE_ENTRYPOINT in ${JSON.stringify(config.Env)}`);
    assert.equal(config.User, '1000:1000');
    assert.equal(config.WorkingDir, '/airbyte');

    const script = [
      'id -u; id -g; id -un; pwd',
      'touch /airbyte/probe && rm /airbyte/probe && echo airbyte-writable',
      `[ -w ${APP_DIR}/dist ] || echo app-read-only`,
      `[ -e ${APP_DIR}/node_modules/typescript ] || echo no-dev-dependencies`,
      `[ -e ${APP_DIR}/node_modules/ajv ] && [ -e ${APP_DIR}/node_modules/ajv-formats ] && echo dependencies-installed`,
      `[ -e ${APP_DIR}/emulator ] || [ -e ${APP_DIR}/dist/src/emulator ] || [ -e ${APP_DIR}/dist/emulator ] || echo no-emulator`,
      '$AIRBYTE_ENTRYPOINT --version',
    ].join('; ');
    const shell = await docker(['run', '--rm', '--entrypoint', '/bin/sh', IMAGE, '-c', script], 120_000);
    assert.equal(shell.code, 0, shell.stderr);
    assert.deepEqual(shell.stdout.trim().split('\n'), [
      '1000',
      '1000',
      'airbyte',
      '/airbyte',
      'airbyte-writable',
      'app-read-only',
      'no-dev-dependencies',
      'dependencies-installed',
      'no-emulator',
      `tap-pulumi-cloud ${p.pkg.version}`,
    ]);
  });

  void it('spec, check, discover and read with /secrets mounted, against the emulator on host loopback', async (t) => {
    if (!ready(t)) return;
    assert.ok(built, 'the image was not built (see the build test)');
    emulator = await PulumiEmulator.start({ orgs: ['acme', 'globex'], stacksPerOrg: 6, updatesPerStack: 12, orgsWithoutTeams: ['globex'] });
    dir = await tempDir();
    await writeJson(dir, 'config.json', { token: emulator.token, organizations: emulator.orgNames(), base_url: emulator.url, page_size: 4 });
    await copyFile(join(REPO_ROOT, 'catalog.json'), join(dir, 'catalog.json'));
    // The container runs as uid 1000, not as the owner of these files.
    await chmod(dir, 0o755);
    for (const name of ['config.json', 'catalog.json']) await chmod(join(dir, name), 0o644);

    const token = emulator.token;
    const run = async (...args: string[]): Promise<CliResult> => {
      const result = await docker(['run', '--rm', '--network', 'host', '-v', `${dir}:/secrets:ro`, IMAGE, ...args], 180_000);
      assert.ok(!result.stdout.includes(token) && !result.stderr.includes(token), `${args[0]}: the token leaked`);
      return result;
    };
    const ofType = (stdout: string, type: string): Record<string, unknown>[] =>
      (parseLines(stdout) as Record<string, unknown>[]).filter((m) => m.type === type);

    const spec = await run('spec');
    assert.equal(spec.code, 0, spec.stderr);
    assert.deepEqual(checkAirbyteOutput(spec.stdout, { command: 'spec' }), []);
    assert.deepEqual(ofType(spec.stdout, 'SPEC')[0]?.spec, JSON.parse(await readFile(join(REPO_ROOT, 'spec.json'), 'utf8')));

    const check = await run('check', '--config', '/secrets/config.json');
    assert.equal(check.code, 0, check.stderr);
    assert.deepEqual(checkAirbyteOutput(check.stdout, { command: 'check' }), []);
    assert.deepEqual(ofType(check.stdout, 'CONNECTION_STATUS')[0]?.connectionStatus, { status: 'SUCCEEDED' });

    const discover = await run('discover', '--config', '/secrets/config.json');
    assert.equal(discover.code, 0, discover.stderr);
    assert.deepEqual(checkAirbyteOutput(discover.stdout, { command: 'discover' }), []);
    const catalog = ofType(discover.stdout, 'CATALOG')[0]?.catalog as { streams: { name: string }[] } | undefined;
    assert.deepEqual(catalog?.streams.map((s) => s.name), [...STREAM_NAMES]);

    const read = await run('read', '--config', '/secrets/config.json', '--catalog', '/secrets/catalog.json');
    assert.equal(read.code, 0, read.stderr);
    assert.deepEqual(checkAirbyteOutput(read.stdout, { command: 'read', configuredStreams: ALL }), []);
    const records = recordsByStream(read.stdout, 'airbyte');
    assertValidAndUnique(records);
    const expected: Record<string, number> = { ...expectedCounts(emulator) };
    assert.deepEqual({ ...Object.fromEntries(ALL.map((s) => [s, 0])), ...counts(records) }, expected);
  });
});
