// Everything the report shows comes from documents written on someone's machine (argv, metric
// labels, log lines): it is text, never markup. `html` escapes for element content and quoted
// attribute values alike; `jsonForScript` makes a JSON value safe inside <script type=
// "application/json"> (no `</script>`, no `<!--`, and U+2028/2029 kept out of the way).

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function html(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A safe `id` fragment from any text (anchors in the table of contents). */
export function slug(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'x';
}
