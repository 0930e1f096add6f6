// Pure parsers for the macOS `sysctl -n NAME` values the memory probe reads.
//
//   sysctl -n kern.memorystatus_vm_pressure_level   → 1 | 2 | 4  (normal, warn, critical)
//   sysctl -n vm.swapusage                           → total = 2048.00M  used = 1017.50M  free = 1030.50M  (encrypted)
//   sysctl -n hw.memsize                             → 34359738368
//
// vm.swapusage is printed by sysctl's S_xswusage(): always mebibytes with two decimals, two spaces
// between fields, "(encrypted)" when the swap is (`"total = %.2fM  used = %.2fM  free = %.2fM  %s"`,
// system_cmds sysctl/sysctl.c). Real outputs, with the `vm.swapusage: ` name that a call without
// `-n` prints, are in test/fixtures/darwin/captured/sysctl/ (SOURCE.md there). One of them is from a
// machine whose locale printed a decimal comma (`1024,00M`): the probe runs with LC_ALL=C, and the
// parser reads both. The `M` is read as MiB (the code divides by 1024 * 1024).

export interface SwapUsage {
  totalBytes: number;
  usedBytes: number;
  freeBytes: number;
  encrypted: boolean;
}

export type SysctlParse<T> = { ok: true; value: T } | { ok: false; problem: string };

const UNIT: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
const SIZE = String.raw`(\d+(?:[.,]\d+)?)([BKMGT])`;
const SWAP = new RegExp(String.raw`^(?:vm\.swapusage:\s*)?total\s*=\s*${SIZE}\s+used\s*=\s*${SIZE}\s+free\s*=\s*${SIZE}\s*(\(encrypted\))?\s*$`);

const bytes = (n: string, unit: string): number => Math.round(Number(n.replace(',', '.')) * UNIT[unit]!);

/** `vm.swapusage` (with or without its `vm.swapusage: ` name) → bytes. */
export function parseSwapUsage(text: string): SysctlParse<SwapUsage> {
  const line = text.trim();
  const m = SWAP.exec(line);
  if (!m) return { ok: false, problem: `not a swap usage line: "${line.slice(0, 120)}"` };
  return { ok: true, value: { totalBytes: bytes(m[1]!, m[2]!), usedBytes: bytes(m[3]!, m[4]!), freeBytes: bytes(m[5]!, m[6]!), encrypted: m[7] !== undefined } };
}

/** One non-negative integer (`sysctl -n` of an integer oid, with or without its `name: `). */
export function parseSysctlInteger(text: string, name: string): SysctlParse<number> {
  const line = text.trim();
  const m = new RegExp(String.raw`^(?:${name.replace(/\./g, '\\.')}:\s*)?(\d+)$`).exec(line);
  if (!m) return { ok: false, problem: `${name} printed "${line.slice(0, 80)}", not an integer` };
  const v = Number(m[1]);
  return Number.isSafeInteger(v) ? { ok: true, value: v } : { ok: false, problem: `${name} = ${m[1]} is out of range` };
}
