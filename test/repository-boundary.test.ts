// A plain clone passes its own tests: nothing the tests and scripts use may lie outside the repository.
// Folders beside the checkout exist on a developer's or CI's machine, not in a user's clone. Anything
// from outside comes in through an environment variable that names it, as the official Airbyte
// protocol schema does (TAP_TEST_AIRBYTE_PROTOCOL_SCHEMA, which .ci/run sets).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './support/cli.js';

const SCANNED_FOLDERS = ['test', 'scripts'];

/** Known exceptions: a line of `file` that matches `line` is not reported. */
const ALLOWED: { file: string; line: RegExp; why: string }[] = [];

// "../" steps, or a bare "..", at the start of a path-like token.
const CLIMBING_PATH = /(?<![\w./\\-])\.\.(?:\/[^\s'"`)\]},;]*)?/g;
// The shared folder beside the checkout, however it is reached.
const SHARED_SIBLING = /\.\.\/+shared\b|\/shared\/(?:protocols|tools)\b/;

function isOutside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '..' || rel.startsWith('../') || isAbsolute(rel);
}

/** Each reference in `text` to a place outside `root`; relative paths are resolved against `base`. */
export function outsideReferences(text: string, base: string, root: string): string[] {
  return text.split('\n').flatMap((line, i) => {
    const where = `line ${i + 1}`;
    const found: string[] = [];
    if (SHARED_SIBLING.test(line)) found.push(`${where}: refers to the shared folder beside the checkout`);
    for (const [token] of line.matchAll(CLIMBING_PATH)) {
      if (isOutside(root, resolve(base, token))) found.push(`${where}: "${token}" leads outside the repository`);
    }
    if (line.includes(dirname(root))) found.push(`${where}: names the folder that holds the repository`);
    return found;
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

/** TypeScript paths are relative to the file (imports, `new URL(…, import.meta.url)`); shell scripts first cd to the root. */
function baseFor(file: string, root: string): string {
  return /\.[cm]?[jt]s$/.test(file) ? dirname(file) : root;
}

void describe('the repository boundary', () => {
  void it('nothing under test/ or scripts/ refers to a place outside the repository', () => {
    const root = resolve(REPO_ROOT);
    const files = SCANNED_FOLDERS.flatMap((folder) => filesUnder(join(root, folder)));
    assert.ok(files.length > 20, `scanned ${files.length} files`);
    const problems = files.flatMap((file) => {
      const name = relative(root, file);
      const allowed = ALLOWED.filter((a) => a.file === name);
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => (allowed.some((a) => a.line.test(line)) ? '' : line));
      return outsideReferences(lines.join('\n'), baseFor(file, root), root).map((p) => `${name} ${p}`);
    });
    assert.deepEqual(problems, []);
  });

  void it('finds paths that climb out, whichever way they are written', () => {
    const root = '/home/me/tap';
    const base = join(root, 'test', 'support');
    const up = (steps: number) => '../'.repeat(steps);
    const sibling = ['..', 'shared'].join('/');
    const text = [
      `new URL('${up(3)}elsewhere/file.json', import.meta.url)`,
      `import { x } from '${up(2)}src/x.js';`,
      `const schema = "${sibling}/protocols/x.json";`,
      `standin=\${STANDIN:-${sibling}/tools/engine.sh}`,
      `readFileSync('/home/me/notes.txt')`,
      `if (rel.startsWith('..')) return;`,
    ].join('\n');
    assert.deepEqual(outsideReferences(text, base, root), [
      `line 1: "${up(3)}elsewhere/file.json" leads outside the repository`,
      'line 3: refers to the shared folder beside the checkout',
      'line 4: refers to the shared folder beside the checkout',
      'line 5: names the folder that holds the repository',
    ]);
  });
});
