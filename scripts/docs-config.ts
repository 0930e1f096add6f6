// npm run docs:config: writes the generated parts of docs/config.md (the keys, and the flags
// that override them) from the config table (src/config/schema.ts) and the commands' flag
// tables. test/config/docs.test.ts fails when the committed file is not what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONFIG_SCHEMA, isSection, type KeySpec, type Spec } from '../src/config/schema.js';
import { COMMAND_NAMES, COMMANDS } from '../src/cli/registry.js';

export const CONFIG_DOC = fileURLToPath(new URL('../docs/config.md', import.meta.url));

const cell = (text: string): string => text.replace(/\|/g, '\\|');
const code = (text: string): string => `\`${text}\``;

/** Every key with its path as files write it: `ports`, `thresholds.settle-seconds`. */
function keys(): Array<{ path: string; spec: KeySpec }> {
  return (Object.values(CONFIG_SCHEMA) as Spec[]).flatMap((spec) => (isSection(spec) ? Object.values(spec.fields).map((k) => ({ path: `${spec.key}.${k.key}`, spec: k })) : [{ path: spec.key, spec }]));
}

function defaultCell(spec: KeySpec): string {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  const v = spec.default;
  if (v === null) return 'none';
  if (Array.isArray(v)) return code(`[${v.map((x) => JSON.stringify(x)).join(', ')}]`);
  return code(String(v));
}

const flagCell = (spec: KeySpec): string => spec.flags.map((f) => code(`--${f.name}${f.value === undefined ? '' : ` ${f.value}`}`)).join(', ');

function keysTable(): string {
  const rows = ['| key | type | default | flags | meaning |', '|---|---|---|---|---|'];
  for (const spec of Object.values(CONFIG_SCHEMA) as Spec[]) {
    if (isSection(spec)) {
      rows.push(`| ${code(spec.key)} | table / object | see below | | ${cell(spec.help)} |`);
      for (const k of Object.values(spec.fields)) rows.push(`| ${code(`${spec.key}.${k.key}`)} | ${cell(k.type)} | ${cell(defaultCell(k))} | ${cell(flagCell(k))} | ${cell(k.help)} |`);
    } else rows.push(`| ${code(spec.key)} | ${cell(spec.type)} | ${cell(defaultCell(spec))} | ${cell(flagCell(spec))} | ${cell(spec.help)} |`);
  }
  const details = keys()
    .filter(({ spec }) => spec.doc !== undefined)
    .map(({ path, spec }) => `- ${code(path)}: ${spec.doc}`);
  return [...rows, '', 'More on some keys:', '', ...details].join('\n');
}

async function flagsTable(): Promise<string> {
  const specs = await Promise.all(COMMAND_NAMES.map(async (n) => (await COMMANDS[n].load()).spec));
  const rows = ['| flag | key | taken by |', '|---|---|---|'];
  for (const { path, spec } of keys()) {
    for (const f of spec.flags) {
      const by = f.common === true ? 'every census command (the common options)' : specs.filter((s) => s.flags[f.name]?.overrides === path).map((s) => code(s.name)).join(', ');
      rows.push(`| ${code(`--${f.name}${f.value === undefined ? '' : ` ${f.value}`}`)}${f.multiple === true ? ' (repeatable)' : ''} | ${code(path)} | ${by} |`);
    }
  }
  return rows.join('\n');
}

function replaceRegion(text: string, name: string, body: string): string {
  const begin = `<!-- generated: ${name}, by npm run docs:config from src/config/schema.ts; edit it there -->`;
  const end = `<!-- end of generated: ${name} -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/config.md: no "${begin}" … "${end}" region`);
  return `${text.slice(0, a + begin.length)}\n${body}\n${text.slice(b)}`;
}

/** docs/config.md as it should be: `current` with its generated regions written again. */
export async function renderConfigDoc(current: string): Promise<string> {
  return replaceRegion(replaceRegion(current, 'keys', keysTable()), 'flags', await flagsTable());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(CONFIG_DOC, await renderConfigDoc(readFileSync(CONFIG_DOC, 'utf8')));
  console.log('wrote docs/config.md');
}
