// The package's version, read once from its package.json (found from any module depth:
// host/package-root.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './host/package-root.js';

let cached: string | null = null;

export function version(): string {
  cached ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
