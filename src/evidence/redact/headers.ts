// Rule 2 of the text rules (text.ts): HTTP Authorization headers, and bearer tokens printed
// alone. Pure.
import { hide, REDACTED, type Counter } from './counter.js';
import { secretValue } from './values.js';

/**
 * 2. HTTP Authorization headers (RFC 9110 §11.6.2, `credentials = auth-scheme [ 1*SP token68 ]`):
 * `Authorization: Bearer x`, `-H 'Authorization: Basic x'`, `"Authorization": "Token x"`,
 * `Proxy-Authorization`. The scheme stays; the credentials go. A value ends at whitespace or a
 * quote (token68 has neither).
 */
// `(?:f(?=["']))?`: a Python f-string, `{"Authorization": f"Bearer {token}"}` (then `{token}` is a reference and stays).
const AUTH_HEADER = /((?:proxy-)?authorization)(["']?[ \t]*[:=][ \t]*(?:f(?=["']))?["']?)([A-Za-z][A-Za-z0-9-]*[ \t]+)?([^\s"']+)/gi;

// Digest credentials are a list of parameters (RFC 7616 §3.4: username, nonce, response, …), not
// one token68: the rest of the line goes. Its `response` is a password hash, guessable offline.
const DIGEST_HEADER = /((?:proxy-)?authorization["']?[ \t]*:[ \t]*["']?digest[ \t]+)([^\r\n]+)/gi;

export function authHeaders(text: string, c: Counter): string {
  const s = text.replace(DIGEST_HEADER, (all, head: string, rest: string) => (rest.includes(REDACTED) ? all : `${head}${hide(c)}`));
  return s.replace(AUTH_HEADER, (all, name: string, sep: string, scheme: string | undefined, value: string) => {
    if (!secretValue(value)) return all;
    return `${name}${sep}${scheme ?? ''}${hide(c)}`;
  });
}

/**
 * Standalone bearer tokens, in logs that print the header value alone ("sending Bearer ey…").
 * The token must hold a digit, so prose ("Bearer authentication") stays.
 */
const BEARER = /(?<![A-Za-z0-9])([Bb]earer[ \t]+)(?=[A-Za-z0-9._~+/-]*[0-9])([A-Za-z0-9._~+/-]+=*)/g;

export function bearerTokens(text: string, c: Counter): string {
  return text.replace(BEARER, (_all, prefix: string) => `${prefix}${hide(c)}`);
}
