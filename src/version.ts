// The package's version, read once from package.json (one directory above src/ and dist/).
import { readFileSync } from 'node:fs';

let cached: string | null = null;

export function version(): string {
  if (cached === null) cached = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
