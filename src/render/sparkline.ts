// Sparklines for the live view: eight block heights, a gap (failed sample) as a space.
const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: Array<number | null>, width = values.length): string {
  const vs = values.slice(-width);
  const nums = vs.filter((v): v is number => v !== null && Number.isFinite(v));
  if (nums.length === 0) return ' '.repeat(vs.length);
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  return vs
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (hi === lo) return BARS[0];
      return BARS[Math.min(BARS.length - 1, Math.floor(((v - lo) / (hi - lo)) * BARS.length))];
    })
    .join('');
}
