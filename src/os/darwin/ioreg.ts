// Pure parser for `ioreg -r -d 1 -w 0 -c IOAccelerator` (the text form, not `-a` plist).
//
// Apple GPU memory is unified memory: MPS/Metal allocations are not in a process's RSS
// (aedocw/epub2tts-chatterbox#19), so the system-wide figure comes from the accelerator's
// PerformanceStatistics dictionary (../shared/reference/failure-modes.md §4.2, §7.4):
//
//   +-o AGXAcceleratorG13X  <class AGXAcceleratorG13X, id 0x10000087c, registered, …>
//       {
//         "AGCInfo" = {"fLastSubmissionPID"=390,…}
//         "PerformanceStatistics" = {"Alloc system memory"=1214005248,…,"In use system memory"=340983808}
//         "model" = "Apple M4"
//       }
//
// Parsing notes (§7.4): keys come in no particular order, and PerformanceStatistics may come before
// or after `model`; the class name varies by chip (AGXAcceleratorG13X, G16G, G17X), which is why the
// argv matches the IOAccelerator class and not a name. `-w 0` keeps ioreg from cutting the long
// dictionary line at the terminal width.
//
// Which key holds the system memory in use depends on the driver (real outputs in
// test/fixtures/darwin/captured/ioreg/, SOURCE.md there):
//   * Apple Silicon (AGX): the exact key "In use system memory" (M1 Pro, exelban/stats#1094; M4). A
//     substring match would also hit "In use system memory (driver)", which reads 0 on the M4.
//   * Intel and AMD drivers (Intel Macs): "inUseSysMemoryBytes" (iMac 2019 with a Radeon Pro,
//     gao-sun/eul#187, beside "gartUsedBytes"). There is no "Allocated system memory" key in any
//     real output; "Alloc system memory" (Apple Silicon) is what the driver reserved, not in use.
//   * A discrete GPU's own memory, "vramUsedBytes" (or "inUseVidMemoryBytes"), is VRAM: not unified
//     memory and not system RAM. It is kept apart (`vramUsedBytes`) and never added to the system
//     figure.
import { ParseError } from '../../host/errors.js';

export type IoregValue = number | string;

export interface IoregAccelerator {
  /** The object's class (`AGXAcceleratorG13X`, `IntelAccelerator`, `AMDRadeonX6000_AMDNavi14GraphicsAccelerator`…). */
  className: string;
  /** `model` property (`Apple M4`), null when absent. */
  model: string | null;
  /** Every PerformanceStatistics entry: numbers as numbers, anything else as its text. Null when absent. */
  performanceStatistics: Record<string, IoregValue> | null;
  /**
   * System (unified, on Apple Silicon) memory the GPU driver has in use, bytes: "In use system memory"
   * (Apple Silicon) or "inUseSysMemoryBytes" (Intel and AMD drivers); null when neither.
   */
  inUseSystemMemoryBytes: number | null;
  /** A discrete GPU's VRAM in use, bytes ("vramUsedBytes", else "inUseVidMemoryBytes"); null when absent. Not system memory. */
  vramUsedBytes: number | null;
  /** "Device Utilization %", null when absent. */
  deviceUtilizationPercent: number | null;
}

/** Apple Silicon (AGX) drivers. */
export const IN_USE_KEY = 'In use system memory';
/** Intel and AMD drivers on Intel Macs. */
export const IN_USE_SYS_KEY = 'inUseSysMemoryBytes';
/** Discrete VRAM in use, and the older name some AMD/NVIDIA drivers use for it. */
export const VRAM_USED_KEYS: readonly string[] = ['vramUsedBytes', 'inUseVidMemoryBytes'];

/** Index just past the value that starts at `i` (a quoted string, a bracketed group, or a bare token). */
function valueEnd(s: string, i: number): number {
  const open = s[i];
  if (open === '"') {
    const close = s.indexOf('"', i + 1);
    return close < 0 ? s.length : close + 1;
  }
  if (open === '{' || open === '(' || open === '<') {
    // Nested groups: count depth, skipping quoted text where a bracket is just a character.
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const c = s[j];
      if (c === '"') {
        const close = s.indexOf('"', j + 1);
        if (close < 0) return s.length;
        j = close;
      } else if (c === '{' || c === '(' || c === '<') depth++;
      else if (c === '}' || c === ')' || c === '>') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return s.length;
  }
  let j = i;
  while (j < s.length && s[j] !== ',' && s[j] !== '}') j++;
  return j;
}

function toValue(raw: string): IoregValue {
  const v = raw.trim();
  if (/^-?\d+$/.test(v)) return Number(v);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1);
  // Data values print as <"text"> or <hex>; keep the text of the quoted form.
  const data = /^<"(.*)">$/.exec(v);
  return data ? data[1]! : v;
}

/**
 * Parses the inside of an ioreg dictionary, `"k"=v,"k2"=v2` (no braces). Throws ParseError quoting
 * the text when a key is not a quoted string followed by `=`.
 */
export function parseIoregDict(body: string, source: string): Record<string, IoregValue> {
  const out: Record<string, IoregValue> = {};
  let i = 0;
  for (;;) {
    while (i < body.length && (body[i] === ',' || body[i] === ' ')) i++;
    if (i >= body.length) return out;
    const key = /^"([^"]*)"\s*=\s*/.exec(body.slice(i));
    if (!key) throw new ParseError(`expected "key"=value at ${JSON.stringify(body.slice(i, i + 60))} in ${JSON.stringify(body.slice(0, 200))}`, source);
    i += key[0].length;
    const end = valueEnd(body, i);
    out[key[1]!] = toValue(body.slice(i, end));
    i = end;
  }
}

const OBJECT = /^[\s|]*\+-o\s+(\S+)/;
/** A property line; in a tree the indentation may carry `|` branch marks. */
const PROPERTY = /^[\s|]*"([^"]+)"\s*=\s*(.*?)\s*$/;

/** Every IOAccelerator object in the output, in order. */
export function parseIoregAccelerators(text: string, source: string): IoregAccelerator[] {
  const out: IoregAccelerator[] = [];
  let cur: IoregAccelerator | null = null;
  for (const line of text.split(/\r?\n/)) {
    const obj = OBJECT.exec(line);
    if (obj) {
      cur = { className: obj[1]!, model: null, performanceStatistics: null, inUseSystemMemoryBytes: null, vramUsedBytes: null, deviceUtilizationPercent: null };
      out.push(cur);
      continue;
    }
    const prop = PROPERTY.exec(line);
    if (!prop || !cur) continue;
    const [, key, raw] = prop as unknown as [string, string, string];
    if (key === 'PerformanceStatistics') {
      if (!raw.startsWith('{') || !raw.endsWith('}')) throw new ParseError(`PerformanceStatistics is not a one-line dictionary: ${JSON.stringify(line.trim().slice(0, 200))}`, source);
      cur.performanceStatistics = parseIoregDict(raw.slice(1, -1), source);
    } else if (key === 'model') {
      const v = toValue(raw);
      cur.model = typeof v === 'string' ? v : String(v);
    }
  }
  for (const a of out) {
    const stats = a.performanceStatistics;
    if (!stats) continue;
    const num = (key: string): number | null => {
      const v = stats[key];
      return typeof v === 'number' ? v : null;
    };
    a.inUseSystemMemoryBytes = num(IN_USE_KEY) ?? num(IN_USE_SYS_KEY);
    a.vramUsedBytes = VRAM_USED_KEYS.map(num).find((v) => v !== null) ?? null;
    const util = stats['Device Utilization %'];
    a.deviceUtilizationPercent = typeof util === 'number' ? util : null;
  }
  return out;
}
