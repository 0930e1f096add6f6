// The package's own directory (where package.json, docs/, demo/ and python/ lie): the first
// directory above this module whose package.json is rerun-doctor's. This module lies at different
// depths: src/host/ under tsx, dist/host/ from tsc, dist/cli/ or dist/cli/commands/ once bundled
// into a command (scripts/bundle.mjs), so a fixed `../../` would be wrong in some of them.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function packageRoot(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'rerun-doctor') return (cached = dir);
    } catch {
      /* none here, or not JSON: go up */
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`rerun-doctor: no package.json of rerun-doctor above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
