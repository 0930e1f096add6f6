// Small string helpers for text that comes from outside (a scrape's body, a peer's answer): cut it,
// keep it to one line, and keep a copy that does not hold on to the body it came from.

/** The first `max` characters of `text`, not splitting a surrogate pair. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const c = text.charCodeAt(max - 1);
  return text.slice(0, c >= 0xd800 && c <= 0xdbff ? max - 1 : max);
}

/** One line of at most `max` characters: control characters (newlines, escapes) become spaces. */
export function oneLine(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return detach(flat.length > max ? `${cutText(flat, max)}…` : flat);
}

/**
 * A copy of `text` that shares no memory with the string it was cut from. V8 makes a slice of 13
 * characters or more a view into its parent, so one label value kept from a 32 MiB scrape body
 * keeps the whole body alive: a watch that keeps a few values per sample kept every body it read.
 * Concatenating and slicing again makes V8 flatten the text into a string of its own.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : (text + ' ').slice(0, -1);
}

/** Bytes for a line of text: `2.0 MiB`, `32 B` (binary units; the renderers and the rules alike). */
export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}
