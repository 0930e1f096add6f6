// The package's version, read once from its package.json: the first one named rerun-doctor above
// this module, which lies one directory below the root as src/version.ts or dist/version.js, and
// deeper once bundled into dist/cli/ (scripts/bundle.mjs).
import { readFileSync } from 'node:fs';

let cached: string | null = null;

export function version(): string {
  if (cached !== null) return cached;
  for (const rel of ['../package.json', '../../package.json', '../../../package.json']) {
    let pkg: { name?: string; version?: string };
    try {
      pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as typeof pkg;
    } catch {
      continue;
    }
    if (pkg.name === 'rerun-doctor' && typeof pkg.version === 'string') return (cached = pkg.version);
  }
  throw new Error(`rerun-doctor: no package.json of rerun-doctor above ${import.meta.url}`);
}
