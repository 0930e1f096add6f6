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
