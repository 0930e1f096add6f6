// Pure parser for the text output of macOS `footprint PID` (footprint(1)).
//
// Why footprint: MPS/Metal memory is not in RSS (failure-modes.md §4.2), but footprint attributes it
// to the process under the category "IOAccelerator (graphics)" (penta2himajin/qwisp#163 attributes
// 94% of a footprint increase to it). Sample, gfx-rs/wgpu#9354 (abridged, §7.5):
//
//   [12761]: 64-bit    Footprint: 60 MB (16384 bytes per page)
//     Dirty      Clean  Reclaimable    Regions    Category
//     30 MB        0 B          0 B          7    IOSurface
//   4464 KB        0 B          0 B         24    Owned physical footprint (unmapped) (graphics)
//   2624 KB        0 B        25 MB        305    IOAccelerator (graphics)
//
// One block per process: a header `[PID]: NN-bit    Footprint: SIZE`, possibly preceded by the
// process name, then a column header, then one row per category (the category is last because it
// holds spaces and parentheses). Separator rows (`---`), `====` rules and a `TOTAL` row may appear;
// TOTAL is kept apart from the categories. Sizes are `N B|KB|MB|GB|TB`, binary multiples (footprint
// counts 16 KiB pages: "16384 bytes per page"; 4464 KB is 279 such pages exactly).
//
// A line that starts with a size but is not a five-column row (a layout we have not seen, such as
// the reporter's summary in test/fixtures/darwin/captured/footprint/mlx-3896-m5max-abridged.txt:
// `109 GB   IOAccelerator (graphics)   [all DIRTY, 0 reclaimable]`) is recorded as a problem and
// skipped: the header figure and every other row of the process still count.

export interface FootprintCategory {
  category: string;
  dirtyBytes: number;
  cleanBytes: number;
  reclaimableBytes: number;
  regions: number;
}

export interface FootprintProcess {
  pid: number;
  /** The name before `[PID]`, when printed. */
  name: string | null;
  /** The header's `Footprint:` figure, bytes. */
  footprintBytes: number;
  categories: FootprintCategory[];
  /** The `TOTAL` row, when printed. */
  total: FootprintCategory | null;
}

/** The category that holds Metal/MPS buffers. */
export const IOACCELERATOR_CATEGORY = 'IOAccelerator (graphics)';

const UNIT: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const SIZE = String.raw`(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)`;
const HEADER = new RegExp(String.raw`^\s*(?:(\S.*?)\s+)?\[(\d+)\]:\s+\d+-bit\s+Footprint:\s+${SIZE}(?:\s|$)`);
const ROW = new RegExp(String.raw`^\s*${SIZE}\s+${SIZE}\s+${SIZE}\s+(\d+)\s+(\S.*?)\s*$`);
/** A line that starts with a size must be a category row. */
const LOOKS_LIKE_ROW = new RegExp(String.raw`^\s*${SIZE}(?:\s|$)`);

/** `2624 KB` → 2686976. Binary units. */
export function footprintBytes(value: string, unit: string): number {
  const mult = UNIT[unit];
  if (mult === undefined) throw new Error(`unknown footprint unit ${unit}`);
  return Math.round(Number(value) * mult);
}

export interface FootprintParse {
  /** Every process block in the output, in order. */
  processes: FootprintProcess[];
  /**
   * Lines that look like rows but are not (`source: line N: …`), each with the pid of the block it
   * was in (null outside any block). The rest of the output is parsed regardless.
   */
  problems: Array<{ pid: number | null; message: string }>;
}

/** Longest line quoted in a problem. */
const PROBLEM_LINE_MAX = 160;

/** Every process block in the output, in order, and the rows that could not be read. */
export function parseFootprint(text: string, source: string): FootprintParse {
  const out: FootprintProcess[] = [];
  const problems: FootprintParse['problems'] = [];
  let cur: FootprintProcess | null = null;
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const h = HEADER.exec(line);
    if (h) {
      cur = { pid: Number(h[2]), name: h[1] ?? null, footprintBytes: footprintBytes(h[3]!, h[4]!), categories: [], total: null };
      out.push(cur);
      continue;
    }
    if (/Footprint:/.test(line)) {
      // Some other summary (footprint prints a de-duplicated summary for several processes,
      // footprint(1)): its rows must not be charged to the last process.
      cur = null;
      continue;
    }
    if (!LOOKS_LIKE_ROW.test(line)) continue; // column header, `---`, `====`, blank, notes
    const r = ROW.exec(line);
    if (!r) {
      const shown = line.trim().length > PROBLEM_LINE_MAX ? `${line.trim().slice(0, PROBLEM_LINE_MAX)}…` : line.trim();
      problems.push({ pid: cur?.pid ?? null, message: `${source}: line ${i + 1}: unexpected category row, skipped: ${JSON.stringify(shown)}` });
      continue;
    }
    if (!cur) continue;
    const row: FootprintCategory = {
      dirtyBytes: footprintBytes(r[1]!, r[2]!),
      cleanBytes: footprintBytes(r[3]!, r[4]!),
      reclaimableBytes: footprintBytes(r[5]!, r[6]!),
      regions: Number(r[7]),
      category: r[8]!,
    };
    if (row.category === 'TOTAL') cur.total = row;
    else cur.categories.push(row);
  }
  return { processes: out, problems };
}

/** Dirty bytes of "IOAccelerator (graphics)" (0 when the process has no such row). */
export function ioAcceleratorDirtyBytes(p: FootprintProcess): number {
  return p.categories.filter((c) => c.category === IOACCELERATOR_CATEGORY).reduce((sum, c) => sum + c.dirtyBytes, 0);
}
