// The npm package as users get it: what the tarball holds, and that it installs and runs under both
// command names in a project of its own (production dependencies come from the npm registry).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { STREAM_NAMES } from '../src/streams/index.js';
import { REPO_ROOT, tempDir } from './support/cli.js';

const execFileAsync = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  // Under `npm test` the environment carries the outer npm's settings (its prefix among them): drop them.
  const env: Record<string, string> = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] ??= value;
  }
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

function expectOk(result: Run, what: string): void {
  assert.equal(result.code, 0, `${what} failed:\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

void describe('npm package', { timeout: 600_000 }, () => {
  let work: string;
  let tarball: string;
  let files: string[];

  before(async () => {
    assert.ok(existsSync(join(REPO_ROOT, 'dist/src/cli.js')), 'dist/ is built (npm run build) before the tests run');
    work = await tempDir();
    // --ignore-scripts: `prepare` would rebuild dist/ while test files running in parallel execute it.
    const pack = await run(NPM, ['pack', '--ignore-scripts', '--pack-destination', work, '--json'], REPO_ROOT, 120_000);
    expectOk(pack, 'npm pack');
    const [info] = JSON.parse(pack.stdout) as Array<{ filename: string }>;
    assert.ok(info, 'npm pack names its tarball');
    tarball = join(work, info.filename);
    const list = await run('tar', ['-tzf', tarball], work, 60_000);
    expectOk(list, 'tar -tzf');
    files = list.stdout
      .split('\n')
      .filter((line) => line !== '' && !line.endsWith('/'))
      .map((line) => line.replace(/^package\//, ''));
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  void it('holds the built program, schemas, spec, catalog and README', async () => {
    for (const file of ['dist/src/cli.js', 'spec.json', 'catalog.json', 'README.md', 'LICENSE', 'package.json']) {
      assert.ok(files.includes(file), `${file} is in the package`);
    }
    const schemas = (await readdir(join(REPO_ROOT, 'schemas'))).filter((f) => f.endsWith('.json'));
    assert.ok(schemas.length >= 4);
    for (const schema of schemas) assert.ok(files.includes(`schemas/${schema}`), `schemas/${schema} is in the package`);
  });

  void it('holds no sources, tests, scripts, emulator, CI files or dependencies', () => {
    const unwanted = files.filter((f) => /^(src|test|scripts|emulator|dist\/emulator|dist\/src\/emulator|\.ci|node_modules|coverage|\.tmp)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
    assert.deepEqual(unwanted, []);
    assert.ok(!files.some((f) => /(^|\/)\.env|config\.json$|state\.json$|\.tgz$/.test(f)), 'no local config, state or tarballs');
  });

  void it('holds no compiled file whose source is gone (dist/ is never cleaned by tsc)', () => {
    const stale = files
      .filter((f) => f.startsWith('dist/src/') && f.endsWith('.js'))
      .filter((f) => !existsSync(join(REPO_ROOT, f.replace(/^dist\//, '').replace(/\.js$/, '.ts'))));
    assert.deepEqual(stale, []);
  });

  void describe('installed globally, as the README says', () => {
    for (const [how, source] of [
      ['npm install -g . (in a clone after npm ci)', () => REPO_ROOT],
      ['npm install -g ./tap-pulumi-cloud-VERSION.tgz (after npm pack)', () => tarball],
    ] as const) {
      void it(how, async () => {
        // A prefix of its own stands for the global one, so the test leaves the machine as it was.
        const prefix = join(work, `global-${how.length}`);
        expectOk(await run(NPM, ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', source()], work, 300_000), how);
        for (const name of ['tap-pulumi-cloud', 'source-pulumi-cloud']) {
          const version = await run(join(prefix, 'bin', name), ['--version'], work, 60_000);
          expectOk(version, `${name} --version`);
          assert.match(version.stdout, /^tap-pulumi-cloud \d+\.\d+\.\d+/);
        }
      });
    }
  });

  void describe('installed into a new project', () => {
    let project: string;

    before(async () => {
      project = join(work, 'consumer');
      await mkdir(project);
      expectOk(await run(NPM, ['init', '-y'], project, 60_000), 'npm init -y');
      expectOk(await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], project, 300_000), 'npm install <tarball>');
    });

    void it('runs as tap-pulumi-cloud: --about --format json', async () => {
      const result = await run(NPX, ['--no-install', 'tap-pulumi-cloud', '--about', '--format', 'json'], project, 60_000);
      expectOk(result, 'tap-pulumi-cloud --about');
      const about = JSON.parse(result.stdout) as { name?: string; version?: string; streams?: Array<{ name: string }> };
      assert.equal(about.name, 'tap-pulumi-cloud');
      assert.match(about.version ?? '', /^\d+\.\d+\.\d+/);
      assert.deepEqual(about.streams?.map((s) => s.name), [...STREAM_NAMES]);
    });

    void it('runs as source-pulumi-cloud: spec', async () => {
      const result = await run(NPX, ['--no-install', 'source-pulumi-cloud', 'spec'], project, 60_000);
      expectOk(result, 'source-pulumi-cloud spec');
      const lines = result.stdout.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, result.stdout);
      const message = JSON.parse(lines[0] ?? '') as { type?: string; spec?: { connectionSpecification?: { required?: string[] } } };
      assert.equal(message.type, 'SPEC');
      assert.ok(message.spec?.connectionSpecification?.required?.includes('organizations'));
    });
  });
});
