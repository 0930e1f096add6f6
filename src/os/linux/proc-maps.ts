// Pure parser for /proc/PID/maps (proc(5)): which of a few known native libraries a process has
// mapped. Only these names are ever kept: the rest of the address space is nobody's business.

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
