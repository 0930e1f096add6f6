// Strict JSON (RFC 8259: no comments, no trailing commas), with where and why it is not.
// JSON.parse gives the value (V8's semantics: "__proto__" stays a key, as jsonc-parser's object
// building would not keep it); when it fails, jsonc-parser (the scanner and parser of VS Code)
// names the first error's line and column, which Node 20's JSON.parse does not give for its
// commonest error, "Unexpected token".
import { createRequire } from 'node:module';
import type { ParseErrorCode } from 'jsonc-parser';

// Loaded only when JSON.parse has failed: a valid config never pays for the parser (start-up time, issue 12).
const jsonc = (): typeof import('jsonc-parser') => createRequire(import.meta.url)('jsonc-parser') as typeof import('jsonc-parser');

export type JsonResult = { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError };

export interface JsonSyntaxError {
  /** 1-based; null where no position could be found. */
  line: number | null;
  column: number | null;
  /** "property name expected, found "}"": the parser's own words, and what stands there. */
  reason: string;
}

export function parseJson(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: locate(text) ?? { line: null, column: null, reason: v8Reason(err) } };
  }
}

function locate(text: string): JsonSyntaxError | null {
  let first: JsonSyntaxError | null = null;
  try {
    const { printParseErrorCode, visit } = jsonc();
    visit(
      text,
      {
        onError: (code: ParseErrorCode, offset: number, length: number, line: number, character: number) => {
          first ??= { line: line + 1, column: character + 1, reason: `${words(printParseErrorCode(code))}, found ${found(text, offset, length)}` };
        },
      },
      { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
    );
  } catch {
    // Its parser recurses: nesting deep enough for a RangeError leaves the words to V8.
    return null;
  }
  return first;
}

/** "PropertyNameExpected" → "property name expected". */
function words(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function found(text: string, offset: number, length: number): string {
  if (offset >= text.length) return 'the end of the file';
  const token = text.slice(offset, offset + Math.max(length, 1));
  return JSON.stringify(token.length > 20 ? `${token.slice(0, 19)}…` : token);
}

/** V8's reason without its copy of the document (Node 20: `…, "<text>" is not valid JSON`). */
function v8Reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
}
