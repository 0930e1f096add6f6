// "Did you mean": the known key a misspelt one most likely meant.

/**
 * The known key a typo most likely meant: the same key in another spelling
 * (serverPattern, server_pattern), else the nearest within edit distance 2.
 */
export function suggestKey(name: string, known: readonly string[]): string | null {
  const normal = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[_\s]+/g, '-')
    .toLowerCase();
  if (known.includes(normal)) return normal;
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = Math.min(editDistance(name, k), editDistance(normal, k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (insert, delete, substitute). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, sub));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
