// Rules 3 and 4 of the text rules (text.ts): URL passwords (userinfo), and query and fragment
// parameters with secret names. Pure.
import { hide, queryNamed, type Counter } from './counter.js';
import { secretValue } from './values.js';

/**
 * 3. URL userinfo (RFC 3986 §3.2.1; "user:password" is deprecated there, and still everywhere:
 * `postgres://u:p@h/db`, `redis://:p@h:6379`, pip's `--extra-index-url https://u:p@host`, git
 * remotes with tokens). The password goes, the user stays (it says which account). A password
 * ends at the last `@` before the path: an unencoded `@` in it is taken as part of it.
 */
// Anchored on the literal "://" (the scheme itself does not matter): a pattern that started at
// the scheme would be tried at the start of every word of the text, six times slower.
const URL_USERINFO = /:\/\/([^\s/?#@:"'<>]*):([^\s/?#"'<>]*)@/g;

export function urlUserinfo(text: string, c: Counter): string {
  return text.replace(URL_USERINFO, (all, user: string, password: string) => {
    if (!secretValue(password)) return all;
    return `://${user}:${hide(c)}@`;
  });
}

/**
 * 3, for a value that is one URL as a whole (an argv element, `--db-url=URL`, `DATABASE_URL=URL`,
 * a document's `url`, `GET URL`): nothing but the URL can follow it, so its password runs from
 * the user's `:` to the last `@` before the authority ends (at `/`, `?`, `#` or the end of the
 * line) and may hold what RFC 3986 wants percent-encoded and people type anyway: quotes,
 * backslashes, spaces, `<>`, any Unicode. In free text a quote or a space ends a URL (rule 3
 * above), since the text around it is not the URL's. A line break ends it here too.
 */
const WHOLE_URL_USERINFO = /^((?:--?[A-Za-z][A-Za-z0-9_.-]*=|[A-Za-z_][A-Za-z0-9_.]*=|[A-Z]+ )?[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:]*:)([^/?#\r\n]*)@/;

export function wholeUrlUserinfo(value: string, c: Counter): string {
  if (!value.includes('://')) return value;
  return value.replace(WHOLE_URL_USERINFO, (all, head: string, password: string) => (secretValue(password) ? `${head}${hide(c)}@` : all));
}

/**
 * 4. Query and fragment parameters with secret names: `?token=`, `&api_key=`, `#access_token=`
 * (OAuth 2.0 implicit grant, RFC 6749 §4.2.2), presigned S3 URLs' `X-Amz-Signature`,
 * `X-Amz-Credential`, `X-Amz-Security-Token`, Azure SAS `sig=`. The other parameters stay
 * (`X-Amz-Expires`, `X-Amz-Date`: when a presigned URL expires is evidence).
 */
const QUERY_PARAM = /([?&#])([A-Za-z0-9_.-]+)=([^&#\s"'<>()[\]]*)/g;

export function queryParams(text: string, c: Counter): string {
  return text.replace(QUERY_PARAM, (all, sep: string, name: string, value: string) => {
    if (!queryNamed(c, name) || !secretValue(value)) return all;
    return `${sep}${name}=${hide(c)}`;
  });
}
