// Pure parser for /proc/meminfo (proc(5)): `Key:   value kB` lines. Only the keys the memory probe
// needs are kept; the unit is always kB (KiB) for these.

export interface Meminfo {
  totalBytes: number | null;
  /** MemAvailable (kernels ≥ 3.14): what can be used without swapping. */
  availableBytes: number | null;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
}

const KEYS: Record<string, keyof Meminfo> = { MemTotal: 'totalBytes', MemAvailable: 'availableBytes', SwapTotal: 'swapTotalBytes', SwapFree: 'swapFreeBytes' };

export function parseMeminfo(text: string): Meminfo {
  const out: Meminfo = { totalBytes: null, availableBytes: null, swapTotalBytes: null, swapFreeBytes: null };
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)\s*kB\s*$/.exec(line);
    const key = m ? KEYS[m[1]!] : undefined;
    if (m && key) out[key] = Number(m[2]) * 1024;
  }
  return out;
}
