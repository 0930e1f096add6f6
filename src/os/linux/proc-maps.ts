// /proc/PID/maps (proc(5)): which files of a given filesystem a process has mapped, by inode; and
// the namespace links under /proc/PID/ns. Pure, table-tested on captured text.
//
//   address           perms offset  dev   inode      pathname
//   7fd66e8a4000-7fd66e9a4000 rw-s 00000000 00:29 2   /dev/shm/psm_8a6b3176
//
// The device is printed as "%02x:%02x" (major, minor: hex). A mapping is matched by device and
// inode, never by its path: the path is as the mapping process sees it (a container's /dev/shm is
// another tmpfs with the same path), and " (deleted)" marks a file unlinked since (another inode).

/** `major:minor` (decimal, as stat and mountinfo give them) → the `" 00:1b "` field maps prints. */
export function mapsDevField(dev: string): string | null {
  const m = /^(\d+):(\d+)$/.exec(dev);
  if (!m) return null;
  const hex = (n: string) => Number(n).toString(16).padStart(2, '0');
  return ` ${hex(m[1]!)}:${hex(m[2]!)} `;
}

/**
 * The `dev:ino` keys (dev decimal `major:minor`) of the mappings in `text` whose device is one of
 * `devs`. A maps file runs to thousands of lines for a Python process with torch loaded: lines are
 * looked at only where the device field occurs.
 */
export function mappedInodes(text: string, devs: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const dev of devs) {
    const needle = mapsDevField(dev);
    if (needle === null) continue;
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
      const lineStart = text.lastIndexOf('\n', at) + 1;
      let lineEnd = text.indexOf('\n', at);
      if (lineEnd < 0) lineEnd = text.length;
      const f = text.slice(lineStart, lineEnd).trim().split(/\s+/);
      // address perms offset dev inode [path]: the needle must be the dev field itself.
      if (f.length < 5 || ` ${f[3]} ` !== needle) continue;
      const ino = Number(f[4]);
      if (Number.isSafeInteger(ino) && ino > 0) out.add(`${dev}:${ino}`);
    }
  }
  return out;
}

/** `pid:[4026531836]` → 4026531836 (the namespace's inode), or null. */
export function nsInode(link: string): number | null {
  const m = /^[a-z_]+:\[(\d+)\]$/.exec(link.trim());
  return m ? Number(m[1]) : null;
}

/**
 * The inodes of the machine's first namespaces are fixed (include/linux/proc_ns.h, since Linux 3.8):
 * a process whose PID namespace has this one sees every process of the machine.
 */
export const INIT_PID_NS = 0xeffffffc;
export const INIT_IPC_NS = 0xefffffff;

// Also: which of a few known native libraries a process has mapped. Only these names are ever kept: the rest of the address space is nobody's business.

export interface LibraryMarker {
  /** The name kept in the snapshot. */
  name: string;
  /** Tested against the mapped file's base name. */
  test: RegExp;
}

/**
 * grpcio's core (`grpc/_cython/cygrpc.cpython-311-x86_64-linux-gnu.so`, or a shared `libgrpc.so.N`)
 * and HuggingFace tokenizers' Rust extension (`tokenizers/tokenizers.cpython-311-….so`,
 * `tokenizers.abi3.so`): the two fork-unsafe libraries fork-unsafe looks for.
 */
export const LIBRARY_MARKERS: readonly LibraryMarker[] = [
  { name: 'grpc', test: /^(cygrpc\..*\.so|libgrpc\.so(\..*)?)$/ },
  { name: 'tokenizers', test: /^tokenizers\.(cpython-.*|abi3)\.so$/ },
];

/** The markers whose library appears in the maps text, in LIBRARY_MARKERS' order. */
export function parseMapsLibraries(text: string, markers: readonly LibraryMarker[] = LIBRARY_MARKERS): string[] {
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    // address perms offset dev inode pathname: the path is the sixth field, and may hold spaces.
    const slash = line.indexOf('/');
    if (slash < 0) continue;
    const path = line.slice(slash).replace(/ \(deleted\)$/, '');
    const base = path.slice(path.lastIndexOf('/') + 1);
    for (const m of markers) if (!found.has(m.name) && m.test.test(base)) found.add(m.name);
    if (found.size === markers.length) break;
  }
  return markers.map((m) => m.name).filter((n) => found.has(n));
}
