// Pure parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text.
//
// Sources: the text format as Prometheus documents it (docs/instrumenting/exposition_formats.md),
// its reference parser expfmt/text_parse.go in prometheus/common, the scrape parsers
// model/textparse/{promparse,openmetricsparse}.go in prometheus/prometheus, and the OpenMetrics 1.0
// specification (OpenMetrics.md, "Text format"). docs/metrics-parser.md says why we wrote our own
// and lists what is accepted and rejected.
//
// A hand-written scanner over the string with charCodeAt: no regex runs per line, so there is
// nothing to backtrack, and a 32 MiB body parses in a few hundred milliseconds.
import { labelsText, MAX_DUPLICATES_LISTED, type DuplicateSample, type Exemplar, type Exposition, type ExpositionFormat, type Labels, type MetricFamily, type MetricType, type Sample } from '../../model/metrics.js';
import { cutText, detach } from '../../model/text.js';

/** A body that is not valid exposition text: names the 1-based line and shows it (cut to 200 chars). */
export class ExpositionError extends Error {
  override readonly name = 'ExpositionError';
  /** The line as it appears in the body, cut to 200 characters. */
  readonly text: string;

  constructor(
    readonly line: number,
    text: string,
    /** What is wrong, without the line: `expected a value after the metric name`. */
    readonly reason: string,
  ) {
    // Its own copy: the error (and a watch's gap that quotes it) must not keep the body alive.
    const cut = detach(cutText(text, MAX_SHOWN));
    super(`line ${line}: ${reason}: "${cut}"`);
    this.text = cut;
  }
}

const MAX_SHOWN = 200;
/** How many recent sample names readSample tries before reading a name afresh. */
const RECENT_NAMES = 4;

/**
 * The format a scrape's Content-Type names. OpenMetrics is `application/openmetrics-text`
 * (any version: prometheus_client ≤ 0.17 still says `version=0.0.1`); everything else, a missing
 * header included, is read as the 0.0.4 text format, which is what Prometheus itself falls back to.
 */
export function formatFromContentType(contentType: string | null): ExpositionFormat {
  if (contentType === null) return 'prometheus-0.0.4';
  const semi = contentType.indexOf(';');
  const media = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return media === 'application/openmetrics-text' ? 'openmetrics-1.0.0' : 'prometheus-0.0.4';
}

// Character codes, named once so the scanner reads as prose.
const TAB = 9;
const CR = 13;
const SPACE = 32;
const QUOTE = 34; // "
const HASH = 35; // #
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const COLON = 58;
const EQUALS = 61;
const BACKSLASH = 92;
const UNDERSCORE = 95;
const LBRACE = 123;
const RBRACE = 125;

const isBlank = (c: number): boolean => c === SPACE || c === TAB;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** Label names: `[a-zA-Z_][a-zA-Z0-9_]*`; metric names also allow `:` (data model docs). */
const isLabelChar = (c: number, first: boolean): boolean => isLetter(c) || c === UNDERSCORE || (!first && isDigit(c));
const isMetricChar = (c: number, first: boolean): boolean => isLabelChar(c, first) || c === COLON;

const TYPES: ReadonlyMap<string, MetricType> = new Map((['counter', 'gauge', 'histogram', 'summary', 'untyped', 'info', 'stateset', 'gaugehistogram', 'unknown'] as const).map((t) => [t, t]));

/**
 * Which sample-name suffixes belong to a family of each type (OpenMetrics 1.0 "Metric types";
 * the 0.0.4 format has the counter's `_total` inside the family name, so there a counter's samples
 * carry the family name itself). A type not listed takes only the bare family name.
 */
const SUFFIXES: Partial<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['_sum', '_count', '_created'],
  info: ['_info'],
};
const ALL_SUFFIXES = ['_total', '_created', '_bucket', '_sum', '_count', '_gcount', '_gsum', '_info'] as const;
/** Types whose samples may carry the family name unchanged (summary quantiles, 0.0.4 counters). */
const BARE: ReadonlySet<MetricType> = new Set<MetricType>(['counter', 'gauge', 'untyped', 'unknown', 'summary', 'stateset', 'info']);

interface FamilyState {
  family: MetricFamily;
  /** 0 until a TYPE line declares the family. */
  typeLine: number;
  helpLine: number;
  unitLine: number;
  /** 0 until the first sample. */
  firstSampleLine: number;
}

/** Everything one parse keeps; created per call, so nothing is shared between parses. */
interface Parse {
  readonly text: string;
  readonly om: boolean;
  readonly families: MetricFamily[];
  readonly byName: Map<string, FamilyState>;
  /** The line being read: number, start and end (CR and trailing blanks already cut). */
  lineNo: number;
  lineStart: number;
  lineEnd: number;
  /** Position of the scanner within the line. */
  i: number;
  /** One-entry cache: samples of a family come together, so the last name decides the next. */
  lastName: string;
  /** The last few unquoted sample names, newest first, reused when a line starts with one. */
  readonly recentNames: string[];
  /** Label names and unescaped values of the previous label set, by position (see readLabelSet). */
  readonly names: string[];
  readonly values: string[];
  /** Sample name → family, valid until the next TYPE line changes how names resolve. */
  readonly resolved: Map<string, FamilyState>;
  lastState: FamilyState | null;
  /** The first sample of each series by seriesHash, for duplicates. */
  readonly seen: SeenTable;
  /** Sample name → its hash (names repeat on nearly every line), and the last one looked up. */
  readonly nameHashes: Map<string, number>;
  hashedName: string;
  hashedNameValue: number;
  duplicateCount: number;
  readonly duplicates: DuplicateSample[];
}

/**
 * Parse a whole exposition body. Throws ExpositionError for the first malformed line, a second
 * or conflicting TYPE, a TYPE after its family's samples, and (OpenMetrics) a missing `# EOF` or
 * anything after it. Families come in the order they first appear; each sample keeps its line.
 */
export function parseExposition(text: string, format: ExpositionFormat): Exposition {
  const p: Parse = {
    text,
    om: format === 'openmetrics-1.0.0',
    families: [],
    byName: new Map(),
    lineNo: 0,
    lineStart: 0,
    lineEnd: 0,
    i: 0,
    lastName: '',
    recentNames: [],
    names: [],
    values: [],
    resolved: new Map(),
    lastState: null,
    seen: newSeen(),
    nameHashes: new Map(),
    hashedName: '',
    hashedNameValue: 0,
    duplicateCount: 0,
    duplicates: [],
  };
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is not part of the first name
  let eofLine = 0;
  let lastContentLine = 0;
  let lastContentStart = 0;
  while (pos < n) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = n;
    p.lineNo++;
    // CRLF and trailing blanks are tolerated (expfmt skips blanks; Windows editors add CR).
    let end = nl;
    while (end > pos && (isBlank(text.charCodeAt(end - 1)) || text.charCodeAt(end - 1) === CR)) end--;
    let start = pos;
    while (start < end && isBlank(text.charCodeAt(start))) start++;
    p.lineStart = pos;
    p.lineEnd = end;
    p.i = start;
    pos = nl + 1;
    if (start === end) continue; // blank line
    if (eofLine !== 0) fail(p, `nothing may follow "# EOF" (line ${eofLine})`);
    lastContentLine = p.lineNo;
    lastContentStart = p.lineStart;
    if (text.charCodeAt(start) === HASH) {
      if (readComment(p)) eofLine = p.lineNo;
    } else {
      readSample(p);
    }
  }
  if (p.om && eofLine === 0) {
    const lastEnd = lastContentLine === 0 ? 0 : lineEndFrom(text, lastContentStart);
    throw new ExpositionError(
      Math.max(lastContentLine, 1),
      text.slice(lastContentStart, lastEnd),
      'the body ends without "# EOF", which OpenMetrics requires (was the response cut short?)',
    );
  }
  const out: Exposition = { format, families: p.families };
  if (p.duplicateCount > 0) out.duplicates = { count: p.duplicateCount, first: p.duplicates };
  return out;
}

function lineEndFrom(text: string, start: number): number {
  let end = text.indexOf('\n', start);
  if (end === -1) end = text.length;
  while (end > start && (isBlank(text.charCodeAt(end - 1)) || text.charCodeAt(end - 1) === CR)) end--;
  return end;
}

function fail(p: Parse, reason: string): never {
  throw new ExpositionError(p.lineNo, p.text.slice(p.lineStart, p.lineEnd), reason);
}

function skipBlanks(p: Parse): void {
  while (p.i < p.lineEnd && isBlank(p.text.charCodeAt(p.i))) p.i++;
}

// ---------------------------------------------------------------------------------------------
// Comment lines: # HELP, # TYPE, # UNIT, # EOF; any other `#` line is a comment.

/** Reads a `#` line; returns true for `# EOF`. */
function readComment(p: Parse): boolean {
  const { text } = p;
  p.i++; // '#'
  // As in Prometheus' scrape lexer (promlex.l: `#[ \t]+` then HELP/TYPE), `#HELP` is a comment.
  if (p.i >= p.lineEnd || !isBlank(text.charCodeAt(p.i))) return false;
  skipBlanks(p);
  const wordStart = p.i;
  while (p.i < p.lineEnd && !isBlank(text.charCodeAt(p.i))) p.i++;
  const word = text.slice(wordStart, p.i);
  switch (word) {
    case 'HELP':
      readHelp(p);
      return false;
    case 'TYPE':
      readType(p);
      return false;
    case 'UNIT':
      readUnit(p);
      return false;
    case 'EOF':
      if (!p.om) return false; // 0.0.4 has no EOF marker: just a comment
      skipBlanks(p);
      if (p.i < p.lineEnd) fail(p, 'unexpected text after "# EOF"');
      return true;
    default:
      return false;
  }
}

function readMetaName(p: Parse, keyword: string): string {
  skipBlanks(p);
  const name = readMetricName(p);
  if (name === null) fail(p, `expected a metric name after ${keyword}`);
  return name;
}

function stateFor(p: Parse, name: string): FamilyState {
  let st = p.byName.get(name);
  if (st === undefined) {
    // The name is kept (by summaries, by a watch's samples) long after the body: its own copy.
    const family: MetricFamily = { name: detach(name), type: p.om ? 'unknown' : 'untyped', help: null, unit: null, samples: [] };
    st = { family, typeLine: 0, helpLine: 0, unitLine: 0, firstSampleLine: 0 };
    p.byName.set(name, st);
    p.families.push(family);
  }
  return st;
}

function readHelp(p: Parse): void {
  const name = readMetaName(p, 'HELP');
  if (p.i < p.lineEnd && !isBlank(p.text.charCodeAt(p.i))) fail(p, 'expected a blank after the metric name');
  // The docstring is the rest of the line after one blank (0.0.4 allows several).
  skipBlanks(p);
  const st = stateFor(p, name);
  if (st.helpLine !== 0) fail(p, `duplicate HELP for ${name} at line ${p.lineNo}, first at line ${st.helpLine}`);
  st.helpLine = p.lineNo;
  st.family.help = unescapeHelp(p.text, p.i, p.lineEnd, p.om);
}

function readUnit(p: Parse): void {
  const name = readMetaName(p, 'UNIT');
  skipBlanks(p);
  const unitStart = p.i;
  while (p.i < p.lineEnd && isMetricChar(p.text.charCodeAt(p.i), false)) p.i++;
  if (p.i < p.lineEnd) fail(p, 'expected a unit made of [a-zA-Z0-9_:] after the metric name');
  const st = stateFor(p, name);
  if (st.unitLine !== 0) fail(p, `duplicate UNIT for ${name} at line ${p.lineNo}, first at line ${st.unitLine}`);
  st.unitLine = p.lineNo;
  // `# UNIT x` with nothing after it means "no unit" (OpenMetrics ABNF: the unit is optional).
  st.family.unit = p.i > unitStart ? p.text.slice(unitStart, p.i) : null;
}

function readType(p: Parse): void {
  const name = readMetaName(p, 'TYPE');
  skipBlanks(p);
  const typeStart = p.i;
  while (p.i < p.lineEnd && !isBlank(p.text.charCodeAt(p.i))) p.i++;
  const word = p.text.slice(typeStart, p.i);
  if (word === '') fail(p, `expected a type after TYPE ${name}`);
  const known = TYPES.get(word);
  if (known === undefined) fail(p, `unknown metric type "${word}" (expected one of ${[...TYPES.keys()].join(', ')})`);
  skipBlanks(p);
  if (p.i < p.lineEnd) fail(p, 'unexpected text after the type');
  const type = known; // the table's own string, not a slice of the body
  const st = stateFor(p, name);
  if (st.typeLine !== 0) {
    if (st.family.type === type) fail(p, `duplicate TYPE for ${name} at line ${p.lineNo}, first at line ${st.typeLine}`);
    fail(p, `conflicting TYPE for ${name} at line ${p.lineNo}: ${type}, but ${st.family.type} at line ${st.typeLine}`);
  }
  // expfmt: "second TYPE line for metric name, or TYPE reported after samples". A TYPE after
  // samples would change how those samples were already attributed, so it is refused too, also
  // when the earlier samples carry one of the new type's suffixes (`x_bucket` before TYPE x histogram).
  if (st.firstSampleLine !== 0) fail(p, `TYPE for ${name} at line ${p.lineNo} comes after its samples (first at line ${st.firstSampleLine})`);
  for (const suffix of SUFFIXES[type] ?? []) {
    const other = p.byName.get(name + suffix);
    if (other !== undefined && other.typeLine === 0 && other.firstSampleLine !== 0) {
      fail(p, `TYPE for ${name} at line ${p.lineNo} comes after its samples (${name}${suffix} first at line ${other.firstSampleLine})`);
    }
  }
  st.typeLine = p.lineNo;
  st.family.type = type;
  // The declaration changes how names resolve: forget earlier resolutions. The samples that
  // follow usually carry this very name, which now resolves to this family when its type takes
  // bare names (the first rule of familyOf), so prime the one-entry cache with it.
  if (p.resolved.size > 0) p.resolved.clear();
  p.lastName = BARE.has(type) ? name : '';
  p.lastState = BARE.has(type) ? st : null;
}

/**
 * HELP text escapes. 0.0.4: `\\` and `\n` (exposition_formats.md); OpenMetrics adds `\"`.
 * Any other backslash pair is kept as written, as the Prometheus scrape parser keeps it; and an
 * unescaped `"` is accepted in OpenMetrics HELP because prom-client 15 writes one.
 */
function unescapeHelp(text: string, start: number, end: number, om: boolean): string {
  // A bounded scan, not indexOf: indexOf would run on to the end of the body on every HELP line.
  let first = start;
  while (first < end && text.charCodeAt(first) !== BACKSLASH) first++;
  if (first === end) return text.slice(start, end);
  let out = '';
  let from = start;
  for (let i = first; i < end - 1; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    const next = text.charCodeAt(i + 1);
    const rep = next === BACKSLASH ? '\\' : next === 110 /* n */ ? '\n' : om && next === QUOTE ? '"' : null;
    if (rep === null) continue;
    out += text.slice(from, i) + rep;
    i++;
    from = i + 1;
  }
  return out + text.slice(from, end);
}

// ---------------------------------------------------------------------------------------------
// Sample lines: name{labels} value [timestamp] [# {labels} value [timestamp]]

/** A metric name at p.i: `[a-zA-Z_:][a-zA-Z0-9_:]*`, or a quoted UTF-8 name (Prometheus 3). */
function readMetricName(p: Parse): string | null {
  const { text } = p;
  const start = p.i;
  if (start < p.lineEnd && text.charCodeAt(start) === QUOTE) {
    p.i++;
    return readQuoted(p, 'metric name');
  }
  if (start >= p.lineEnd || !isMetricChar(text.charCodeAt(start), true)) return null;
  p.i++;
  while (p.i < p.lineEnd && isMetricChar(text.charCodeAt(p.i), false)) p.i++;
  return text.slice(start, p.i);
}

function readSample(p: Parse): void {
  const { text } = p;
  const nameStart = p.i;
  let name: string | null = null;
  if (text.charCodeAt(nameStart) !== LBRACE) {
    // Reuse a recent sample name when the line starts with it (a histogram cycles through
    // _bucket, _sum, _count): fewer strings to allocate on big bodies.
    const recent = p.recentNames;
    for (let r = 0; r < recent.length; r++) {
      const cand = recent[r]!;
      const after = nameStart + cand.length;
      if (text.startsWith(cand, nameStart) && (after >= p.lineEnd || !isMetricChar(text.charCodeAt(after), false))) {
        p.i = after;
        name = cand;
        break;
      }
    }
    if (name === null) {
      const quoted = text.charCodeAt(nameStart) === QUOTE;
      name = readMetricName(p);
      if (name === null) fail(p, 'expected a metric name');
      if (!quoted) {
        if (recent.length === RECENT_NAMES) recent.pop();
        recent.unshift(name);
      }
    }
  }
  let beforeValue = p.i;
  skipBlanks(p);
  const labels: Labels = {};
  if (p.i < p.lineEnd && text.charCodeAt(p.i) === LBRACE) {
    const inner = readLabelSet(p, labels, name === null);
    if (name === null) name = inner;
    beforeValue = p.i;
    skipBlanks(p);
  }
  if (name === null) fail(p, 'expected a metric name');
  if (p.i >= p.lineEnd) fail(p, 'expected a value after the metric name');
  if (p.i === beforeValue) fail(p, 'expected a blank before the value');
  const value = readValue(p);

  let timestampMs: number | null = null;
  let exemplar: Exemplar | null = null;
  skipBlanks(p);
  if (p.i < p.lineEnd && text.charCodeAt(p.i) !== HASH) {
    timestampMs = readTimestamp(p);
    skipBlanks(p);
  }
  if (p.i < p.lineEnd) {
    if (text.charCodeAt(p.i) !== HASH) fail(p, 'unexpected text after the timestamp');
    if (!p.om) fail(p, 'an exemplar (" # {...} value") is OpenMetrics syntax, not Prometheus 0.0.4 text');
    exemplar = readExemplar(p);
  }

  const st = familyOf(p, name);
  if (st.firstSampleLine === 0) st.firstSampleLine = p.lineNo;
  // A series (name and labels) given twice: Prometheus' scrape loop keeps the first sample and
  // drops the later ones (ErrDuplicateSampleForTimestamp, counted and logged, the scrape goes on).
  // So does this parser, and it says so; a histogram's repeated bucket is not added to the first.
  const sample: Sample = { name, labels, value, timestampMs, exemplar, line: p.lineNo };
  const first = earlierSample(p, sample);
  if (first !== undefined) {
    p.duplicateCount++;
    if (p.duplicates.length < MAX_DUPLICATES_LISTED) p.duplicates.push({ line: p.lineNo, firstLine: first.line, series: detach(cutText(name, 200) + labelsText(labels)) });
    return;
  }
  st.family.samples.push(sample);
}

const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 16777619;

function fnv(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * A 30-bit hash of a sample's series (its name and labels, in any order), small enough to be an
 * unboxed Map key. Cheaper than building a canonical key string for every sample, which made a
 * large body parse 2.5 times slower; equal hashes are checked by comparing the samples.
 */
function seriesHash(p: Parse, name: string, labels: Labels): number {
  let nameHash: number | undefined;
  if (name === p.hashedName) nameHash = p.hashedNameValue;
  else {
    nameHash = p.nameHashes.get(name);
    if (nameHash === undefined) {
      nameHash = fnv(FNV_BASIS, name);
      p.nameHashes.set(name, nameHash);
    }
    p.hashedName = name;
    p.hashedNameValue = nameHash;
  }
  let sum = 0;
  for (const n in labels) {
    let h = FNV_BASIS;
    for (let i = 0; i < n.length; i++) h = Math.imul(h ^ n.charCodeAt(i), FNV_PRIME);
    h = Math.imul(h ^ EQUALS, FNV_PRIME);
    const v = labels[n]!;
    for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v.charCodeAt(i), FNV_PRIME);
    sum = (sum + h) | 0;
  }
  return (Math.imul(nameHash, 0x9e3779b1) + sum) & 0x3fffffff;
}

function sameSeries(a: Sample, name: string, labels: Labels): boolean {
  if (a.name !== name) return false;
  const names = Object.keys(labels);
  if (Object.keys(a.labels).length !== names.length) return false;
  for (const k of names) if (!Object.prototype.hasOwnProperty.call(a.labels, k) || a.labels[k] !== labels[k]) return false;
  return true;
}

/**
 * An open-addressing table of the samples read so far, by seriesHash: typed arrays, so a body of a
 * million samples adds no object per sample (a Map of them made such a body parse half again slower).
 */
interface SeenTable {
  /** seriesHash + 1 per slot (0: empty), and the index into `samples` of the sample there. */
  hashes: Int32Array;
  refs: Int32Array;
  samples: Sample[];
}

function newSeen(): SeenTable {
  return { hashes: new Int32Array(1024), refs: new Int32Array(1024), samples: [] };
}

function insertSlot(t: SeenTable, h: number, ref: number): void {
  const mask = t.hashes.length - 1;
  let i = h & mask;
  while (t.hashes[i] !== 0) i = (i + 1) & mask;
  t.hashes[i] = h + 1;
  t.refs[i] = ref;
}

/** The earlier sample of the same series, if any; else `sample` is remembered. */
function earlierSample(p: Parse, sample: Sample): Sample | undefined {
  const t = p.seen;
  const h = seriesHash(p, sample.name, sample.labels);
  const mask = t.hashes.length - 1;
  for (let i = h & mask; t.hashes[i] !== 0; i = (i + 1) & mask) {
    if (t.hashes[i] === h + 1) {
      const other = t.samples[t.refs[i]!]!;
      if (sameSeries(other, sample.name, sample.labels)) return other;
    }
  }
  t.samples.push(sample);
  if (t.samples.length * 2 > t.hashes.length) {
    // Grow to keep the table at most half full; every sample is placed again by its hash.
    const old = t;
    const size = old.hashes.length * 2;
    const grown: SeenTable = { hashes: new Int32Array(size), refs: new Int32Array(size), samples: old.samples };
    for (let i = 0; i < old.hashes.length; i++) if (old.hashes[i] !== 0) insertSlot(grown, old.hashes[i]! - 1, old.refs[i]!);
    t.hashes = grown.hashes;
    t.refs = grown.refs;
  }
  insertSlot(t, h, t.samples.length - 1);
  return undefined;
}

/**
 * Reads `{name="value",...}` into labels. Blanks around tokens and a trailing comma are accepted
 * (expfmt accepts both; the Java client writes `{gc="Copy",}`). When allowName, a quoted string
 * standing alone is the metric name (Prometheus 3's `{"my.metric", a="b"}`); it is returned.
 *
 * Label names, and values written without escapes, are reused from the previous label set when
 * they repeat at the same position: on a large body most do, and a reused string is neither
 * allocated again nor internalised again when it becomes a property key.
 */
function readLabelSet(p: Parse, labels: Labels, allowName: boolean): string | null {
  const { text, names, values } = p;
  let metricName: string | null = null;
  let k = 0;
  p.i++; // '{'
  for (;;) {
    skipBlanks(p);
    if (p.i >= p.lineEnd) fail(p, 'expected "}" to close the labels');
    const c = text.charCodeAt(p.i);
    if (c === RBRACE) {
      p.i++;
      return metricName;
    }
    let labelName: string;
    if (c === QUOTE) {
      p.i++;
      labelName = readQuoted(p, 'label name');
    } else {
      const start = p.i;
      if (!isLabelChar(c, true)) fail(p, 'expected a label name');
      const cached = names[k];
      if (cached !== undefined && text.startsWith(cached, start) && !isLabelChar(text.charCodeAt(start + cached.length), false)) {
        p.i = start + cached.length;
        labelName = cached;
      } else {
        p.i++;
        while (p.i < p.lineEnd && isLabelChar(text.charCodeAt(p.i), false)) p.i++;
        labelName = text.slice(start, p.i);
      }
    }
    skipBlanks(p);
    const sep = p.i < p.lineEnd ? text.charCodeAt(p.i) : -1;
    if (c === QUOTE && allowName && metricName === null && k === 0 && (sep === COMMA || sep === RBRACE)) {
      metricName = labelName;
    } else {
      if (sep !== EQUALS) fail(p, `expected "=" after the label name ${labelName}`);
      p.i++;
      skipBlanks(p);
      if (p.i >= p.lineEnd || text.charCodeAt(p.i) !== QUOTE) fail(p, `expected a quoted value for the label ${labelName}`);
      p.i++;
      for (let j = 0; j < k; j++) if (names[j] === labelName) fail(p, `duplicate label ${labelName}`);
      names[k] = labelName;
      let value: string;
      const cached = values[k];
      // Only values whose raw text had no escape to undo are cached, so the raw text equals them.
      if (cached !== undefined && text.startsWith(cached, p.i) && text.charCodeAt(p.i + cached.length) === QUOTE) {
        value = cached;
        p.i += cached.length + 1;
      } else {
        const rawStart = p.i;
        value = readQuoted(p, 'label value');
        if (p.i - rawStart - 1 === value.length) values[k] = value;
      }
      setLabel(labels, labelName, value);
      k++;
      skipBlanks(p);
    }
    if (p.i >= p.lineEnd) fail(p, 'expected "}" to close the labels');
    const next = text.charCodeAt(p.i);
    if (next === COMMA) p.i++;
    else if (next !== RBRACE) fail(p, 'expected "," or "}" after a label');
  }
}

/** `__proto__` is a legal label name; a plain assignment would set the object's prototype. */
function setLabel(labels: Labels, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  else labels[name] = value;
}

/**
 * A quoted string whose opening quote is already consumed; leaves p.i after the closing quote.
 * Escapes `\\`, `\"`, `\n`; other pairs are kept as written, as Prometheus' scrape parser keeps them
 * (promparse's lvalReplacer replaces exactly those three).
 */
function readQuoted(p: Parse, what: string): string {
  const { text } = p;
  const start = p.i;
  let i = start;
  while (i < p.lineEnd) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      p.i = i + 1;
      return text.slice(start, i);
    }
    if (c === BACKSLASH) break;
    i++;
  }
  let out = text.slice(start, i);
  while (i < p.lineEnd) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      p.i = i + 1;
      return out;
    }
    if (c === BACKSLASH) {
      if (i + 1 >= p.lineEnd) break;
      const next = text.charCodeAt(i + 1);
      if (next === BACKSLASH) out += '\\';
      else if (next === QUOTE) out += '"';
      else if (next === 110 /* n */) out += '\n';
      else out += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    const runStart = i;
    while (i < p.lineEnd && text.charCodeAt(i) !== QUOTE && text.charCodeAt(i) !== BACKSLASH) i++;
    out += text.slice(runStart, i);
  }
  p.i = p.lineEnd;
  return fail(p, `unterminated ${what} (missing closing quote)`);
}

function readValue(p: Parse): number {
  const start = p.i;
  while (p.i < p.lineEnd && !isBlank(p.text.charCodeAt(p.i))) p.i++;
  const v = parseGoFloat(p.text, start, p.i);
  if (v === undefined) fail(p, 'expected a value after the metric name');
  return v;
}

/** 0.0.4: integer milliseconds (expfmt uses ParseInt). OpenMetrics: seconds as a float. */
function readTimestamp(p: Parse): number {
  const start = p.i;
  while (p.i < p.lineEnd && !isBlank(p.text.charCodeAt(p.i))) p.i++;
  return timestampFrom(p, start, p.i);
}

function timestampFrom(p: Parse, start: number, end: number): number {
  const { text } = p;
  if (p.om) {
    const seconds = parseGoFloat(text, start, end);
    if (seconds === undefined || !Number.isFinite(seconds)) fail(p, 'expected a timestamp in seconds after the value');
    // Rounded, not truncated: 1700000000.123 * 1000 is 1700000000122.9998 in binary floating point.
    return Math.round(seconds * 1000);
  }
  let i = start;
  const c0 = text.charCodeAt(i);
  if (c0 === MINUS || c0 === PLUS) i++;
  if (i >= end) fail(p, 'expected a timestamp in milliseconds after the value');
  for (; i < end; i++) if (!isDigit(text.charCodeAt(i))) fail(p, 'expected a timestamp in milliseconds (an integer) after the value');
  return Number(text.slice(start, end));
}

/** ` # {labels} value [timestamp]` after a sample (OpenMetrics "Exemplars"); p.i is at the '#'. */
function readExemplar(p: Parse): Exemplar {
  const { text } = p;
  p.i++;
  skipBlanks(p);
  // The spec requires the label set, `{}` when empty (prometheus/prometheus#12975).
  if (p.i >= p.lineEnd || text.charCodeAt(p.i) !== LBRACE) fail(p, 'expected "{" to start the exemplar\'s labels');
  const labels: Labels = {};
  readLabelSet(p, labels, false);
  skipBlanks(p);
  const start = p.i;
  while (p.i < p.lineEnd && !isBlank(text.charCodeAt(p.i))) p.i++;
  const value = parseGoFloat(text, start, p.i);
  if (value === undefined) fail(p, 'expected a value after the exemplar\'s labels');
  skipBlanks(p);
  let timestampMs: number | null = null;
  if (p.i < p.lineEnd) {
    const tsStart = p.i;
    while (p.i < p.lineEnd && !isBlank(text.charCodeAt(p.i))) p.i++;
    timestampMs = timestampFrom(p, tsStart, p.i);
    skipBlanks(p);
    if (p.i < p.lineEnd) fail(p, 'unexpected text after the exemplar');
  }
  return { labels, value, timestampMs };
}

/**
 * A float as Go's strconv.ParseFloat reads it for the exposition formats: decimal with optional
 * sign, fraction and exponent, or Inf/Infinity/NaN in any case with an optional sign (prom-client
 * writes `Nan`). Hex floats and digit separators, which Go also takes, are refused: no client
 * writes them. Returns undefined when the text is not a number.
 */
export function parseGoFloat(text: string, start = 0, end = text.length): number | undefined {
  if (start >= end) return undefined;
  let i = start;
  let c = text.charCodeAt(i);
  const negative = c === MINUS;
  if (negative || c === PLUS) {
    i++;
    if (i >= end) return undefined;
    c = text.charCodeAt(i);
  }
  if (!isDigit(c) && c !== DOT) {
    const word = text.slice(i, end).toLowerCase();
    if (word === 'inf' || word === 'infinity') return negative ? -Infinity : Infinity;
    if (word === 'nan' && i === start) return NaN;
    return undefined;
  }
  let digits = 0;
  while (i < end && isDigit(text.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < end && text.charCodeAt(i) === DOT) {
    i++;
    while (i < end && isDigit(text.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return undefined;
  if (i < end && (text.charCodeAt(i) | 0x20) === 101 /* e or E */) {
    i++;
    if (i < end && (text.charCodeAt(i) === PLUS || text.charCodeAt(i) === MINUS)) i++;
    const expStart = i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    if (i === expStart) return undefined;
  }
  if (i !== end) return undefined;
  return Number(text.slice(start, end));
}

// ---------------------------------------------------------------------------------------------
// Which family a sample belongs to.

/**
 * The family of a sample name: the family of that exact name when its type allows bare names;
 * else a declared family whose type owns the suffix (`x_bucket` → histogram `x`); else the exact
 * name's family when it was never declared; else a new untyped family of the full name. A sample
 * that only its declared family could own but whose suffix does not fit (bare `x` under
 * histogram `x`) is an error.
 */
function familyOf(p: Parse, name: string): FamilyState {
  if (name === p.lastName && p.lastState !== null) return p.lastState;
  let st = p.resolved.get(name);
  if (st === undefined) {
    st = resolveFamily(p, name);
    p.resolved.set(name, st);
  }
  p.lastName = name;
  p.lastState = st;
  return st;
}

function resolveFamily(p: Parse, name: string): FamilyState {
  const exact = p.byName.get(name);
  if (exact !== undefined && exact.typeLine !== 0 && BARE.has(exact.family.type)) return exact;
  const owner = bySuffix(p, name);
  if (owner !== undefined) return owner;
  if (exact === undefined) return stateFor(p, name);
  if (exact.typeLine !== 0) {
    const want = (SUFFIXES[exact.family.type] ?? []).map((s) => name + s).join(', ');
    fail(p, `sample ${name} does not fit the ${exact.family.type} ${name} declared at line ${exact.typeLine} (expected ${want})`);
  }
  return exact;
}

function bySuffix(p: Parse, name: string): FamilyState | undefined {
  for (const suffix of ALL_SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const base = p.byName.get(name.slice(0, name.length - suffix.length));
    if (base !== undefined && base.typeLine !== 0 && (SUFFIXES[base.family.type] ?? []).includes(suffix)) return base;
  }
  return undefined;
}
