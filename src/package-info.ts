// Finds the installed package's own files (schemas/, package.json) from wherever the code runs:
// src/ under tsx, dist/src/ when built, node_modules/tap-pulumi-cloud when installed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_NAME = 'tap-pulumi-cloud';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === PACKAGE_NAME) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export const packageRoot = findPackageRoot();

const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string; description: string };
export const PACKAGE_VERSION = pkg.version;
export const PACKAGE_DESCRIPTION = pkg.description;

export function readPackageJson<T>(relativePath: string): T {
  return JSON.parse(readFileSync(join(packageRoot, relativePath), 'utf8')) as T;
}
