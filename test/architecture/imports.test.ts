// The import graph of src/ (type imports included): it has no cycle, and every import runs down the
// layers of scripts/layers.mjs (docs/architecture.md, "Layers"). ESLint flags the same imports in an
// editor; this test sees the whole graph at once.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { LAYERS } from '../../scripts/layers.mjs';
import { ROOT } from '../helpers/paths.js';

const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * file → the src files it imports (relative specifiers, `.js` → `.ts`). `static` leaves out the
 * dynamic `import()`s: the command registry loads commands lazily and `help`/`completion` list the
 * registry, a loop that runs only at call time, after both modules are loaded (no load-order
 * hazard); static imports (type imports too) must not loop.
 */
function importGraph(files: string[], only: 'all' | 'static'): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const dynamic = new Set([...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!));
    const info = ts.preProcessFile(text, true, true);
    const deps = info.importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith('.') && (only === 'all' || !dynamic.has(s)))
      .map((s) => resolve(dirname(f), s.replace(/\.js$/, '.ts')));
    for (const d of deps) assert.ok(known.has(d), `${relative(ROOT, f)} imports ${relative(ROOT, d)}, which is not a file of src/`);
    graph.set(f, deps);
  }
  return graph;
}

const layerOf = (f: string) => relative(SRC, f).split('/')[0]!;

/** Every cycle's files (Tarjan's strongly connected components of more than one file, or a self-import). */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const files = sourceFiles(SRC);
const graph = importGraph(files, 'all');
const staticGraph = importGraph(files, 'static');

test('src/ has no import cycle (static imports, type imports included)', () => {
  const cycles = cyclesOf(staticGraph).map((c) => c.map((f) => relative(SRC, f)).join(' → '));
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.join('\n')}`);
});

test('every import runs down the layers (scripts/layers.mjs)', () => {
  const table = LAYERS as Record<string, string[]>;
  const wrong: string[] = [];
  for (const [f, deps] of graph) {
    const from = layerOf(f);
    assert.ok(from in table, `src/${from} has no place in scripts/layers.mjs: give it one (and say why in docs/architecture.md)`);
    const allowed = table[from]!;
    for (const d of deps) {
      const to = layerOf(d);
      if (to !== from && !allowed.includes('*') && !allowed.includes(to)) wrong.push(`${relative(SRC, f)} → ${relative(SRC, d)} (${from} may import ${allowed.join(', ') || 'nothing'})`);
    }
  }
  assert.deepEqual(wrong, [], `imports against the layers:\n${wrong.join('\n')}`);
});

test('the cycle finder finds a cycle (so the test above can fail)', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']]]);
  assert.deepEqual(cyclesOf(g), [['a', 'b', 'c'], ['e']]);
});
