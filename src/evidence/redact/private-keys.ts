// Rule 1 of the text rules (text.ts): private key blocks. Pure.
import { hide, REDACTED, type Counter } from './counter.js';
import { isSpace } from './values.js';

/**
 * 1. Private key blocks (RFC 7468 labels: `PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`,
 * `OPENSSH PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, and OpenPGP's `PGP PRIVATE KEY BLOCK`). The
 * armour lines stay; the body becomes `[REDACTED]`. A block with no END line (a log cut mid-key)
 * is redacted to the end of its BEGIN line and over every following line that looks like key
 * material (base64, RFC 1421 `Proc-Type:`/`DEK-Info:` headers, blank lines), so the log lines
 * after it stay.
 */
const KEY_BEGIN = /^-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY( BLOCK)?-----/;
const KEY_LINE = /^[ \t]*(?:(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Comment):[^\r\n]*)[ \t]*)?\r?$/;

export function privateKeys(text: string, c: Counter): string {
  let at = text.indexOf('-----BEGIN ');
  if (at < 0) return text;
  const parts: string[] = [];
  // END lines known to be absent: not found after one BEGIN, they are not after a later one, so
  // the search runs once per label and the pass stays linear.
  const absent = new Set<string>();
  let from = 0;
  while (at >= 0) {
    const m = KEY_BEGIN.exec(text.slice(at, at + 80));
    if (m === null) {
      at = text.indexOf('-----BEGIN ', at + 11);
      continue;
    }
    const bodyStart = at + m[0].length;
    const end = `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
    const endAt = absent.has(end) ? -1 : text.indexOf(end, bodyStart);
    if (endAt < 0) absent.add(end);
    const bodyEnd = endAt < 0 ? unterminatedEnd(text, bodyStart) : endAt;
    parts.push(text.slice(from, bodyStart), redactBody(text.slice(bodyStart, bodyEnd), c));
    from = bodyEnd;
    at = text.indexOf('-----BEGIN ', endAt < 0 ? bodyEnd : endAt + end.length);
  }
  parts.push(text.slice(from));
  return parts.join('');
}

/** Where a key with no END line stops: the rest of its BEGIN line, then the lines that look like key material. */
function unterminatedEnd(text: string, from: number): number {
  let nl = text.indexOf('\n', from);
  if (nl < 0) return text.length;
  let keyEnd = nl;
  let pos = nl + 1;
  while (pos < text.length) {
    nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl);
    if (line.startsWith('-----') || !KEY_LINE.test(line)) break;
    if (line.trim() !== '') keyEnd = nl;
    pos = nl + 1;
  }
  return keyEnd;
}


/** The key body → its leading and trailing whitespace around `[REDACTED]` (keeps the line layout). */
function redactBody(body: string, c: Counter): string {
  let s = 0;
  let e = body.length;
  while (s < e && isSpace(body.charCodeAt(s))) s++;
  while (e > s && isSpace(body.charCodeAt(e - 1))) e--;
  const inner = body.slice(s, e);
  if (inner === '' || inner === REDACTED) return body;
  return body.slice(0, s) + hide(c) + body.slice(e);
}
