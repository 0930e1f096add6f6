// Redaction of secrets in free text: ps lines, logs, environment dumps, URLs, JSON, YAML. The
// rules live one family a file beside this one (private-keys, headers, urls, token-shapes, flags,
// assignments); this file runs them in their order. argv.ts redacts an argv element by element.
// Pure: no I/O, no clock, no module-level mutable state (the regular expressions are constants,
// only ever used through String.prototype.replace, which resets their lastIndex, or without the
// g flag).
//
// What is redacted, what is kept and why: docs/evidence-redaction.md. The corpus that pins every
// decision down: test/fixtures/redaction/corpus.json.
//
// Speed: every pattern that starts with a repeated character class is guarded by a lookbehind
// that refuses to start inside a run of that class (or starts with a literal), and no two
// adjacent quantifiers share characters without a delimiter between them, so each pass is linear
// in the input. The test suite runs 1 MB inputs built to make a backtracking pattern blow up.
import { assignments, envEntries, lineAssignments } from './assignments.js';
import { counter, type Counter } from './counter.js';
import { flagsInLists, flagsInText, flagsInYamlLists } from './flags.js';
import { authHeaders, bearerTokens } from './headers.js';
import { privateKeys } from './private-keys.js';
import { shapes } from './token-shapes.js';
import { queryParams, urlUserinfo, wholeUrlUserinfo } from './urls.js';

/**
 * The passes in order. Each is skipped when the text lacks a literal its matches must contain
 * (a quick substring search, much cheaper than a pattern run over the text): most evidence has
 * no private key, no URL with userinfo, no flag list.
 */
export function textRules(text: string, c: Counter): string {
  let s = text;
  if (s.includes('-----BEGIN ')) s = privateKeys(s, c);
  if (AUTHORIZATION_WORD.test(s)) s = authHeaders(s, c);
  if (BEARER_WORD.test(s)) s = bearerTokens(s, c);
  if (s.includes('://')) s = urlUserinfo(s, c);
  if (s.includes('=')) s = queryParams(s, c);
  s = shapes(s, c);
  if (s.includes('-')) {
    if (s.includes('- -')) s = flagsInYamlLists(s, c);
    if (s.includes('"-') || s.includes("'-")) s = flagsInLists(s, c);
    s = flagsInText(s, c);
  }
  if (s.includes('name')) s = envEntries(s, c);
  if (s.includes(':') || s.includes('=')) {
    s = lineAssignments(s, c);
    s = assignments(s, c);
  }
  return s;
}

/**
 * One whole value (an argv element, an environment variable's value, a document's string): the
 * text rules, after rule 3 for a value that is one URL (wholeUrlUserinfo).
 */
export function valueRules(value: string, c: Counter): string {
  return textRules(wholeUrlUserinfo(value, c), c);
}

const AUTHORIZATION_WORD = /authorization/i;
const BEARER_WORD = /bearer/i;

/**
 * Free text: ps lines, the head of a metrics body, logs, `KEY=VALUE` environment dumps, JSON,
 * YAML, shell scripts. Every text rule applies, in the order above.
 */
export function redactText(text: string): { text: string; redactions: number } {
  const c = counter();
  const out = textRules(text, c);
  return { text: out, redactions: c.n };
}
