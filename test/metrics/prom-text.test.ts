import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { duplicateText, type Exposition, type MetricFamily, type Sample } from '../../src/model/metrics.js';
import { ExpositionError, formatFromContentType, parseExposition, parseGoFloat } from '../../src/os/any/prom-text.js';
import { fixture } from '../helpers/paths.js';

// Captured from the real client libraries: see test/fixtures/metrics/SOURCE.md.
const cap = (name: string) => readFileSync(fixture('metrics', name), 'utf8');
const prom = (text: string) => parseExposition(text, 'prometheus-0.0.4');
const om = (text: string) => parseExposition(text, 'openmetrics-1.0.0');

function fam(e: Exposition, name: string): MetricFamily {
  const f = e.families.find((x) => x.name === name);
  assert.ok(f, `family ${name} should exist; have ${e.families.map((x) => x.name).join(', ')}`);
  return f;
}

/** Every sample of a family as `name{labels} value`, for compact comparisons. */
function rows(f: MetricFamily): string[] {
  return f.samples.map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`);
}

/** The raw text of a sample's line, to check what the parser made of it. */
function rawLine(body: string, s: Sample): string {
  return body.split('\n')[s.line - 1]!;
}

function throwsAt(fn: () => unknown, line: number, reason: RegExp, text?: string): ExpositionError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ExpositionError, `expected an ExpositionError, got ${String(caught)}`);
  assert.equal(caught.line, line, `line number in: ${caught.message}`);
  assert.match(caught.reason, reason);
  if (text !== undefined) assert.equal(caught.text, text);
  assert.equal(caught.message.includes('\n'), false, 'the message is one line');
  assert.equal(caught.message, `line ${caught.line}: ${caught.reason}: "${caught.text}"`);
  return caught;
}

// ---------------------------------------------------------------------------------------------
// Real captures

test('python 0.0.4: every family, in order, with its type', () => {
  const e = prom(cap('python-0.0.4.prom'));
  assert.equal(e.format, 'prometheus-0.0.4');
  assert.deepEqual(
    e.families.map((f) => `${f.name}:${f.type}`),
    [
      'tokenize_ms:histogram',
      'tokenize_ms_created:gauge',
      'grpc_requests_total:counter',
      'grpc_requests_created:gauge',
      'request_latency_seconds:histogram',
      'request_latency_seconds_created:gauge',
      'inference_queue_depth:gauge',
      'model_workers:gauge',
      'mps_allocated_memory_bytes:gauge',
      'escapes_demo:gauge',
      'special_values:gauge',
      'batch_size:summary',
      'batch_size_created:gauge',
      'build_info:gauge',
      'server_state:gauge',
      'gpu_memory_used_bytes:gauge',
      'legacy_worker_restarts:untyped',
      'inflight_request_age_seconds:histogram',
      'inflight_request_age_seconds_gcount:gauge',
      'inflight_request_age_seconds_gsum:gauge',
    ],
  );
  for (const f of e.families) {
    assert.equal(f.unit, null, `0.0.4 has no UNIT (${f.name})`);
    for (const s of f.samples) assert.equal(s.exemplar, null, `0.0.4 has no exemplars (${s.name})`);
  }
});

test('python 0.0.4: histogram samples, labels and values', () => {
  const e = prom(cap('python-0.0.4.prom'));
  const tok = fam(e, 'tokenize_ms');
  assert.equal(tok.help, 'Time spent tokenizing a request, in milliseconds');
  assert.equal(tok.samples.length, 22);
  assert.deepEqual(rows(tok).slice(0, 11), [
    'tokenize_ms_bucket{"le":"0.5","model":"bert-base"} 1',
    'tokenize_ms_bucket{"le":"1.0","model":"bert-base"} 2',
    'tokenize_ms_bucket{"le":"2.5","model":"bert-base"} 3',
    'tokenize_ms_bucket{"le":"5.0","model":"bert-base"} 5',
    'tokenize_ms_bucket{"le":"10.0","model":"bert-base"} 6',
    'tokenize_ms_bucket{"le":"25.0","model":"bert-base"} 6',
    'tokenize_ms_bucket{"le":"50.0","model":"bert-base"} 7',
    'tokenize_ms_bucket{"le":"100.0","model":"bert-base"} 8',
    'tokenize_ms_bucket{"le":"+Inf","model":"bert-base"} 9',
    'tokenize_ms_count{"model":"bert-base"} 9',
    'tokenize_ms_sum{"model":"bert-base"} 375.3',
  ]);
  assert.equal(tok.samples[0]!.line, 3);
  assert.equal(tok.samples[0]!.timestampMs, null);
  const created = fam(e, 'tokenize_ms_created');
  assert.equal(created.samples.length, 2);
  for (const s of created.samples) assert.ok(s.value > 1.6e9 && s.value < 4e9, `created is seconds since the epoch: ${s.value}`);
  assert.deepEqual(rows(fam(e, 'grpc_requests_total')), [
    'grpc_requests_total{"code":"OK","method":"/infer.Predict/Run"} 41',
    'grpc_requests_total{"code":"UNAVAILABLE","method":"/infer.Predict/Run"} 2',
  ]);
  assert.deepEqual(rows(fam(e, 'inflight_request_age_seconds_gsum')), ['inflight_request_age_seconds_gsum{} 4.25']);
});

test('python 0.0.4: escapes in HELP and label values, NaN and infinities, timestamps in ms', () => {
  const e = prom(cap('python-0.0.4.prom'));
  const esc = fam(e, 'escapes_demo');
  // 0.0.4 HELP escapes only \\ and \n; the quotes stand as written.
  assert.equal(esc.help, 'Help with a backslash \\ and a\nnewline and "quotes"');
  assert.deepEqual(esc.samples[0]!.labels, { msg: 'say "hi"\nbye', path: 'C:\\DIR\\FILE.TXT' });
  const sv = fam(e, 'special_values').samples;
  assert.ok(Number.isNaN(sv[0]!.value), 'NaN');
  assert.equal(sv[1]!.value, Infinity);
  assert.equal(sv[2]!.value, -Infinity);
  assert.equal(sv[3]!.value, 1.5e-7);
  const gpu = fam(e, 'gpu_memory_used_bytes').samples;
  assert.deepEqual(
    gpu.map((s) => [s.labels['device'], s.value, s.timestampMs]),
    [
      ['cuda:0', 2147483648, 1700000000123],
      ['cuda:1', 0, 1700000000500],
    ],
  );
  assert.deepEqual(rows(fam(e, 'legacy_worker_restarts')), ['legacy_worker_restarts{"pool":"default"} 3']);
  assert.deepEqual(rows(fam(e, 'server_state')).length, 3);
  assert.deepEqual(rows(fam(e, 'batch_size')), ['batch_size_count{} 4', 'batch_size_sum{} 15']);
});

test('python OpenMetrics: families, types, units, and samples attributed by suffix', () => {
  const body = cap('python-openmetrics.txt');
  const e = om(body);
  assert.equal(e.format, 'openmetrics-1.0.0');
  assert.deepEqual(
    e.families.map((f) => `${f.name}:${f.type}`),
    [
      'tokenize_ms:histogram',
      'grpc_requests:counter',
      'request_latency_seconds:histogram',
      'inference_queue_depth:gauge',
      'model_workers:gauge',
      'mps_allocated_memory_bytes:gauge',
      'escapes_demo:gauge',
      'special_values:gauge',
      'batch_size:summary',
      'build:info',
      'server_state:stateset',
      'gpu_memory_used_bytes:gauge',
      'legacy_worker_restarts:unknown',
      'inflight_request_age_seconds:gaugehistogram',
    ],
  );
  assert.equal(fam(e, 'mps_allocated_memory_bytes').unit, 'bytes');
  assert.deepEqual(
    fam(e, 'grpc_requests').samples.map((s) => s.name),
    ['grpc_requests_total', 'grpc_requests_created', 'grpc_requests_total', 'grpc_requests_created'],
  );
  assert.deepEqual(
    fam(e, 'tokenize_ms').samples.filter((s) => !s.name.endsWith('_bucket')).map((s) => s.name),
    ['tokenize_ms_count', 'tokenize_ms_sum', 'tokenize_ms_created', 'tokenize_ms_count', 'tokenize_ms_sum', 'tokenize_ms_created'],
  );
  assert.deepEqual(fam(e, 'batch_size').samples.map((s) => s.name), ['batch_size_count', 'batch_size_sum', 'batch_size_created']);
  assert.deepEqual(rows(fam(e, 'build')), ['build_info{"commit":"deadbeef","version":"1.2.3"} 1']);
  assert.deepEqual(rows(fam(e, 'server_state')), [
    'server_state{"server_state":"starting"} 0',
    'server_state{"server_state":"serving"} 1',
    'server_state{"server_state":"draining"} 0',
  ]);
  assert.deepEqual(rows(fam(e, 'inflight_request_age_seconds')), [
    'inflight_request_age_seconds_bucket{"le":"0.5"} 2',
    'inflight_request_age_seconds_bucket{"le":"1.0"} 5',
    'inflight_request_age_seconds_bucket{"le":"+Inf"} 6',
    'inflight_request_age_seconds_gcount{} 6',
    'inflight_request_age_seconds_gsum{} 4.25',
  ]);
  // OpenMetrics HELP also unescapes \".
  assert.equal(fam(e, 'escapes_demo').help, 'Help with a backslash \\ and a\nnewline and "quotes"');
});

test('python OpenMetrics: exemplars and timestamps in seconds, converted to ms', () => {
  const body = cap('python-openmetrics.txt');
  const e = om(body);
  const withExemplar = e.families.flatMap((f) => f.samples).filter((s) => s.exemplar !== null);
  assert.deepEqual(
    withExemplar.map((s) => [s.name, s.labels['le'] ?? null, s.exemplar!.labels, s.exemplar!.value]),
    [
      ['tokenize_ms_bucket', '2.5', { trace_id: 'abc123' }, 1.8],
      ['tokenize_ms_bucket', '50.0', { trace_id: 'def456' }, 30],
      ['grpc_requests_total', null, { trace_id: 'f00d' }, 41],
    ],
  );
  for (const s of withExemplar) {
    // The exemplar's timestamp is the last token of its line, in seconds.
    const seconds = Number(rawLine(body, s).split(' ').pop());
    assert.ok(seconds > 1.6e9, `exemplar timestamp in seconds: ${seconds}`);
    assert.equal(s.exemplar!.timestampMs, Math.round(seconds * 1000));
  }
  const gpu = fam(e, 'gpu_memory_used_bytes').samples;
  assert.deepEqual(
    gpu.map((s) => s.timestampMs),
    [1700000000123, 1700000000500],
  );
});

test('python: the same registry reads the same in 0.0.4 and OpenMetrics', () => {
  const a = prom(cap('python-0.0.4.prom'));
  const b = om(cap('python-openmetrics.txt'));
  for (const name of ['tokenize_ms', 'request_latency_seconds', 'inference_queue_depth', 'special_values', 'escapes_demo']) {
    const strip = (f: MetricFamily) => rows(f).filter((r) => !r.startsWith(`${name}_created`));
    assert.deepEqual(strip(fam(b, name)), strip(fam(a, name)), name);
  }
  assert.deepEqual(
    rows(fam(b, 'grpc_requests')).filter((r) => r.startsWith('grpc_requests_total')),
    rows(fam(a, 'grpc_requests_total')),
  );
});

test('node prom-client 0.0.4: blank lines between families, "Nan", summary quantiles', () => {
  const e = prom(cap('node-prom-client.prom'));
  assert.deepEqual(
    e.families.map((f) => `${f.name}:${f.type}`),
    [
      'tokenize_ms:histogram',
      'grpc_requests_total:counter',
      'request_latency_seconds:histogram',
      'inference_queue_depth:gauge',
      'model_workers:gauge',
      'escapes_demo:gauge',
      'special_values:gauge',
      'batch_size:summary',
      'build_info:gauge',
      'gpu_memory_used_bytes:gauge',
    ],
  );
  assert.deepEqual(rows(fam(e, 'batch_size')), [
    'batch_size{"quantile":"0.5"} 3',
    'batch_size{"quantile":"0.9"} 8',
    'batch_size{"quantile":"0.99"} 8',
    'batch_size_sum{} 15',
    'batch_size_count{} 4',
  ]);
  assert.ok(Number.isNaN(fam(e, 'special_values').samples[0]!.value), 'prom-client writes NaN as "Nan"');
  // prom-client keeps the labels in the order they were declared.
  assert.deepEqual(Object.keys(fam(e, 'escapes_demo').samples[0]!.labels), ['path', 'msg']);
  assert.deepEqual(fam(e, 'escapes_demo').samples[0]!.labels, { path: 'C:\\DIR\\FILE.TXT', msg: 'say "hi"\nbye' });
  assert.equal(fam(e, 'tokenize_ms').samples.length, 22);
});

test('node prom-client OpenMetrics: counter family without _total, exemplars, an unescaped quote in HELP', () => {
  const body = cap('node-prom-client-openmetrics.txt');
  const e = om(body);
  const counter = fam(e, 'grpc_requests');
  assert.equal(counter.type, 'counter');
  assert.deepEqual(counter.samples.map((s) => s.name), ['grpc_requests_total', 'grpc_requests_total']);
  const ex = counter.samples[0]!.exemplar;
  assert.ok(ex, 'the OK series carries an exemplar');
  assert.deepEqual(ex.labels, { trace_id: 'f00d' });
  assert.equal(ex.value, 41);
  assert.equal(ex.timestampMs, Math.round(Number(rawLine(body, counter.samples[0]!).split(' ').pop()) * 1000));
  // prom-client 15 leaves `"` unescaped in OpenMetrics HELP; we read it as written.
  assert.equal(fam(e, 'escapes_demo').help, 'Help with a backslash \\ and a\nnewline and "quotes"');
  const exemplars = fam(e, 'tokenize_ms').samples.filter((s) => s.exemplar !== null);
  assert.deepEqual(
    exemplars.map((s) => [s.labels['le'], s.exemplar!.value]),
    [
      ['2.5', 1.8],
      ['50', 30],
    ],
  );
});

// ---------------------------------------------------------------------------------------------
// Lexical details

test('label values: \\\\, \\" and \\n are unescaped; other pairs stay as written', () => {
  const e = prom('x{a="C:\\\\dir",b="say \\"hi\\"",c="one\\ntwo",d="tab\\there",e=""} 1\n');
  assert.deepEqual(e.families[0]!.samples[0]!.labels, { a: 'C:\\dir', b: 'say "hi"', c: 'one\ntwo', d: 'tab\\there', e: '' });
});

test('label sets: blanks, a trailing comma, tabs, no labels at all, and __proto__', () => {
  const e = prom('x { a = "1" , b="2", } 1\ny{} 2\nz\t3\t\nw{__proto__="p"} 4\n');
  assert.deepEqual(e.families[0]!.samples[0]!.labels, { a: '1', b: '2' });
  assert.deepEqual(e.families[1]!.samples[0]!.labels, {});
  assert.equal(e.families[2]!.samples[0]!.value, 3);
  const w = e.families[3]!.samples[0]!.labels;
  assert.equal(Object.getPrototypeOf(w), Object.prototype);
  assert.deepEqual(Object.entries(w), [['__proto__', 'p']]);
});

test('values: Go float syntax with NaN and infinities in any case', () => {
  const ok: Array<[string, number]> = [
    ['1', 1],
    ['-2.5', -2.5],
    ['+3', 3],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1.5E-7', 1.5e-7],
    ['-0', -0],
    ['+Inf', Infinity],
    ['Inf', Infinity],
    ['inf', Infinity],
    ['-Inf', -Infinity],
    ['+infinity', Infinity],
    ['1.7957061938371818e+09', 1.7957061938371818e9],
  ];
  for (const [text, want] of ok) assert.ok(Object.is(parseGoFloat(text), want), `${text} → ${want}, got ${parseGoFloat(text)}`);
  for (const text of ['NaN', 'nan', 'Nan']) assert.ok(Number.isNaN(parseGoFloat(text)!), `${text} is NaN`);
  for (const text of ['', 'abc', '1e', '0x10', '1_000', '--1', '+', '.', 'e5', '1.2.3', '+NaN', 'Infx', '1 2']) {
    assert.equal(parseGoFloat(text), undefined, `${JSON.stringify(text)} is not a number`);
  }
});

test('timestamps: integer milliseconds in 0.0.4, float seconds in OpenMetrics', () => {
  const a = prom('x 1 1395066363000\ny 2 -3982045\n');
  assert.equal(a.families[0]!.samples[0]!.timestampMs, 1395066363000);
  assert.equal(a.families[1]!.samples[0]!.timestampMs, -3982045);
  throwsAt(() => prom('x 1 1395066363.5\n'), 1, /timestamp in milliseconds/);
  const b = om('x 1 1395066363.5\ny 2 1700000000.123\nz 3 1700000000\n# EOF\n');
  assert.deepEqual(
    b.families.map((f) => f.samples[0]!.timestampMs),
    [1395066363500, 1700000000123, 1700000000000],
  );
  throwsAt(() => om('x 1 NaN\n# EOF\n'), 1, /timestamp in seconds/);
});

test('exemplars: with and without timestamp, empty label set; OpenMetrics only', () => {
  const e = om('# TYPE c counter\nc_total 5 # {trace_id="a"} 1.5\nc_total{x="y"} 6 123.5 # {} 2 1700000000.25\n# EOF\n');
  const [s1, s2] = e.families[0]!.samples;
  assert.deepEqual(s1!.exemplar, { labels: { trace_id: 'a' }, value: 1.5, timestampMs: null });
  assert.equal(s1!.timestampMs, null);
  assert.deepEqual(s2!.exemplar, { labels: {}, value: 2, timestampMs: 1700000000250 });
  assert.equal(s2!.timestampMs, 123500);
  throwsAt(() => om('c_total 5 #  1.5\n# EOF\n'), 1, /exemplar's labels/);
  throwsAt(() => om('c_total 5 # {a="b"}\n# EOF\n'), 1, /value after the exemplar/);
  throwsAt(() => om('c_total 5 # {a="b"} 1 2 3\n# EOF\n'), 1, /after the exemplar/);
  throwsAt(() => prom('c_total 5 # {a="b"} 1\n'), 1, /OpenMetrics syntax/);
});

test('_created samples belong to their counter, histogram and summary', () => {
  const e = om(
    [
      '# TYPE c counter',
      'c_total 1',
      'c_created 1700000000',
      '# TYPE h histogram',
      'h_bucket{le="+Inf"} 2',
      'h_count 2',
      'h_sum 3',
      'h_created 1700000001',
      '# TYPE s summary',
      's_count 1',
      's_sum 2',
      's_created 1700000002',
      '# EOF',
    ].join('\n'),
  );
  assert.deepEqual(
    e.families.map((f) => `${f.name}:${f.samples.map((s) => s.name).join(',')}`),
    ['c:c_total,c_created', 'h:h_bucket,h_count,h_sum,h_created', 's:s_count,s_sum,s_created'],
  );
});

test('suffixes: gaugehistogram, info, and a declared family of the exact name winning over a suffix', () => {
  const e = om(
    [
      '# TYPE g gaugehistogram',
      'g_bucket{le="+Inf"} 1',
      'g_gcount 1',
      'g_gsum 0.5',
      '# TYPE i info',
      'i_info{v="1"} 1',
      '# TYPE s summary',
      '# TYPE s_count gauge',
      's_count 7',
      's{quantile="0.5"} 1',
      '# EOF',
    ].join('\n'),
  );
  assert.deepEqual(
    e.families.map((f) => `${f.name}:${f.type}:${f.samples.map((s) => s.name).join(',')}`),
    ['g:gaugehistogram:g_bucket,g_gcount,g_gsum', 'i:info:i_info', 's:summary:s', 's_count:gauge:s_count'],
  );
});

test('untyped families: samples without TYPE keep their full name', () => {
  const a = prom('# HELP rss Resident memory\nrss 123\nfoo_sum 2\nfoo_count 1\n');
  assert.deepEqual(
    a.families.map((f) => `${f.name}:${f.type}:${f.help}`),
    ['rss:untyped:Resident memory', 'foo_sum:untyped:null', 'foo_count:untyped:null'],
  );
  const b = om('rss 123\n# EOF\n');
  assert.equal(b.families[0]!.type, 'unknown');
});

test('samples of a family that come back later are added to it (0.0.4)', () => {
  const e = prom('# TYPE a gauge\na{x="1"} 1\n# TYPE b gauge\nb 2\na{x="2"} 3\n');
  assert.deepEqual(rows(e.families[0]!), ['a{"x":"1"} 1', 'a{"x":"2"} 3']);
});

test('CRLF line endings, leading blanks, trailing blanks, a byte-order mark', () => {
  const lf = '# HELP x Some help\n# TYPE x counter\nx_total{a="b"} 3 1000\n\nx_total{a="c"} 4\n';
  const crlf = '\ufeff' + lf.replace(/\n/g, '\r\n').replace('x_total{a="c"} 4', '  x_total{a="c"} 4 \t');
  assert.deepEqual(prom(crlf), prom(lf));
  assert.equal(prom(crlf).families[0]!.samples[1]!.line, 5);
  assert.equal(prom(crlf).families[0]!.help, 'Some help');
  assert.deepEqual(om('x 1\r\n# EOF\r\n'), om('x 1\n# EOF\n'));
});

test('comments: other # lines are ignored, #HELP without a blank is a comment, # EOF is a comment in 0.0.4', () => {
  const e = prom('# just a comment\n#HELP x not help\n# EOF\nx 1\n');
  assert.equal(e.families[0]!.help, null);
  assert.equal(e.families.length, 1);
});

test('HELP: an empty docstring, escapes, and a metric name with colons', () => {
  const e = prom('# HELP a:b:c\n# HELP d a \\\\ b \\n c \\q\na:b:c 1\nd 2\n');
  assert.equal(e.families[0]!.name, 'a:b:c');
  assert.equal(e.families[0]!.help, '');
  assert.equal(e.families[1]!.help, 'a \\ b \n c \\q');
});

test('quoted UTF-8 metric and label names (Prometheus 3)', () => {
  const e = prom('{"my.metric", "label.with.dots"="v", a="b"} 1\n{"my.metric"} 2\n');
  assert.equal(e.families.length, 1);
  assert.equal(e.families[0]!.name, 'my.metric');
  assert.deepEqual(e.families[0]!.samples[0]!.labels, { 'label.with.dots': 'v', a: 'b' });
});

test('formatFromContentType: OpenMetrics only for application/openmetrics-text', () => {
  assert.equal(formatFromContentType('application/openmetrics-text; version=1.0.0; charset=utf-8'), 'openmetrics-1.0.0');
  assert.equal(formatFromContentType('Application/OpenMetrics-Text;version=0.0.1'), 'openmetrics-1.0.0');
  assert.equal(formatFromContentType('text/plain; version=0.0.4; charset=utf-8'), 'prometheus-0.0.4');
  assert.equal(formatFromContentType('text/plain'), 'prometheus-0.0.4');
  assert.equal(formatFromContentType(''), 'prometheus-0.0.4');
  assert.equal(formatFromContentType(null), 'prometheus-0.0.4');
});

// ---------------------------------------------------------------------------------------------
// # EOF

test('OpenMetrics: # EOF is required, may end the body with or without a newline', () => {
  assert.equal(om('x 1\n# EOF').families.length, 1);
  assert.equal(om('# EOF\n').families.length, 0);
  assert.equal(om('x 1\n# EOF\n\n').families.length, 1, 'trailing blank lines are tolerated like blank lines elsewhere');
  throwsAt(() => om('# TYPE x gauge\nx 1\n'), 2, /ends without "# EOF"/, 'x 1');
  throwsAt(() => om(''), 1, /ends without "# EOF"/, '');
  throwsAt(() => om('x 1\n# EOF\nx 2\n'), 3, /nothing may follow "# EOF" \(line 2\)/, 'x 2');
  throwsAt(() => om('x 1\n# EOF\n# TYPE y gauge\n'), 3, /nothing may follow/);
  throwsAt(() => om('x 1\n# EOF trailing\n'), 2, /after "# EOF"/);
});

// ---------------------------------------------------------------------------------------------
// Malformed lines

test('malformed lines name the line number and show the line', () => {
  const head = '# HELP tokenize_ms Tokenize time\n# TYPE tokenize_ms histogram\n';
  const err = throwsAt(() => prom(head + 'tokenize_ms_bucket{le="0.5"} abc\n'), 3, /^expected a value after the metric name$/);
  assert.equal(err.message, 'line 3: expected a value after the metric name: "tokenize_ms_bucket{le="0.5"} abc"');
  assert.equal(err.name, 'ExpositionError');
  assert.ok(err instanceof Error, 'an Error');
  throwsAt(() => prom('x 1\ny\n'), 2, /expected a value/, 'y');
  throwsAt(() => prom('x{a="1"}\n'), 1, /expected a value/);
  throwsAt(() => prom('x{a="1"}2\n'), 1, /blank before the value/);
  throwsAt(() => prom('x{a="1} 2\n'), 1, /unterminated label value/);
  throwsAt(() => prom('x{a="1\\"} 2\n'), 1, /unterminated label value/);
  throwsAt(() => prom('x{a} 2\n'), 1, /expected "=" after the label name a/);
  throwsAt(() => prom('x{a=1} 2\n'), 1, /quoted value for the label a/);
  throwsAt(() => prom('x{a="1" b="2"} 2\n'), 1, /"," or "}"/);
  throwsAt(() => prom('x{a="1",a="2"} 2\n'), 1, /duplicate label a/);
  throwsAt(() => prom('x{1a="1"} 2\n'), 1, /expected a label name/);
  throwsAt(() => prom('x{a="1"\n'), 1, /close the labels/);
  throwsAt(() => prom('1x 2\n'), 1, /expected a metric name/);
  throwsAt(() => prom('x-y 2\n'), 1, /blank before the value/);
  throwsAt(() => prom('x 2 3 4\n'), 1, /after the timestamp/);
  throwsAt(() => prom('# TYPE x\n'), 1, /expected a type after TYPE x/);
  throwsAt(() => prom('# TYPE x gauge extra\n'), 1, /after the type/);
  throwsAt(() => prom('# TYPE x widget\n'), 1, /unknown metric type "widget"/);
  throwsAt(() => prom('# HELP\n'), 1, /metric name after HELP/);
  throwsAt(() => om('# UNIT x sec onds\n# EOF\n'), 1, /unit/);
});

test('a long malformed line is shown cut to 200 characters', () => {
  const line = `x{a="${'v'.repeat(300)}"} nope`;
  const err = throwsAt(() => prom(`ok 1\n${line}\n`), 2, /expected a value/);
  assert.equal(err.text, line.slice(0, 200));
  assert.equal(err.text.length, 200);
});

test('a second TYPE for a family: duplicate or conflicting, with both lines', () => {
  throwsAt(() => prom('# TYPE x gauge\nx 1\n# TYPE x gauge\n'), 3, /^duplicate TYPE for x at line 3, first at line 1$/, '# TYPE x gauge');
  throwsAt(() => prom('# TYPE x gauge\n# HELP x h\n# TYPE x counter\n'), 3, /^conflicting TYPE for x at line 3: counter, but gauge at line 1$/);
  throwsAt(() => prom('# HELP x a\n# HELP x b\n'), 2, /^duplicate HELP for x at line 2, first at line 1$/);
  throwsAt(() => om('# UNIT x_seconds seconds\n# UNIT x_seconds seconds\n# EOF\n'), 2, /duplicate UNIT/);
});

test('a TYPE after its samples is an error, also when the samples carry its suffixes', () => {
  throwsAt(() => prom('x 1\n# TYPE x gauge\n'), 2, /^TYPE for x at line 2 comes after its samples \(first at line 1\)$/);
  throwsAt(() => prom('h_bucket{le="+Inf"} 1\nh_count 1\n# TYPE h histogram\n'), 3, /TYPE for h at line 3 comes after its samples \(h_bucket first at line 1\)/);
  // HELP first, then TYPE, then samples: the usual order, fine.
  assert.equal(prom('# HELP x h\n# TYPE x gauge\nx 1\n').families[0]!.type, 'gauge');
});

test('a sample that does not fit its declared family is an error', () => {
  throwsAt(() => prom('# TYPE h histogram\nh 1\n'), 2, /sample h does not fit the histogram h declared at line 1 \(expected h_bucket, h_sum, h_count, h_created\)/);
});

test('a series given twice: the first sample kept, the later dropped and reported with both lines (as Prometheus drops it)', () => {
  const body = '# TYPE up gauge\nup{job="a"} 1\nup{job="b"} 5\nup{job="a"} 2\n';
  const e = prom(body);
  assert.deepEqual(rows(fam(e, 'up')), ['up{"job":"a"} 1', 'up{"job":"b"} 5']);
  assert.deepEqual(e.duplicates, { count: 1, first: [{ line: 4, firstLine: 2, series: 'up{job="a"}' }] });
  assert.equal(duplicateText(e.duplicates!.first[0]!), 'line 4: duplicate sample for up{job="a"} (first at line 2): dropped, the first is kept');
});

test('duplicates: labels in another order are the same series; another label value or le is not', () => {
  const e = prom('x{a="1",b="2"} 1\nx{b="2", a="1"} 9\nx{a="1",b="3"} 3\nx{a="1"} 4\ny{a="1",b="2"} 5\n');
  assert.deepEqual(rows(fam(e, 'x')), ['x{"a":"1","b":"2"} 1', 'x{"a":"1","b":"3"} 3', 'x{"a":"1"} 4']);
  assert.deepEqual(e.duplicates?.first, [{ line: 2, firstLine: 1, series: 'x{b="2",a="1"}' }]);
  const h = prom('# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 3\n');
  assert.equal(h.duplicates, undefined, 'no duplicates: each bucket is its own series');
});

test('a duplicated histogram bucket is dropped, not added to the first', () => {
  const e = prom('# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 1\n');
  assert.deepEqual(e.duplicates, { count: 1, first: [{ line: 3, firstLine: 2, series: 'h_bucket{le="1"}' }] });
  assert.deepEqual(rows(fam(e, 'h')), ['h_bucket{"le":"1"} 1', 'h_bucket{"le":"+Inf"} 2', 'h_count{} 2', 'h_sum{} 1']);
});

test('duplicates in OpenMetrics too; many of them are counted, the first 20 listed', () => {
  const e = om(`# TYPE c counter\nc_total 1\n${'c_total 2\n'.repeat(30)}# EOF\n`);
  assert.equal(e.duplicates?.count, 30);
  assert.equal(e.duplicates?.first.length, 20);
  assert.deepEqual(e.duplicates?.first[0], { line: 3, firstLine: 2, series: 'c_total' });
  assert.deepEqual(rows(fam(e, 'c')), ['c_total{} 1']);
});

test('a large body of distinct series has no false duplicates (hash collisions are checked)', () => {
  const lines: string[] = ['# TYPE x counter'];
  for (let i = 0; i < 200_000; i++) lines.push(`x_total{id="${i}",shard="${i % 97}"} ${i}`);
  const e = prom(lines.join('\n') + '\n');
  assert.equal(e.duplicates, undefined);
  assert.equal(fam(e, 'x').samples.length, 200_000);
  const again = prom(lines.join('\n') + `\nx_total{shard="${123_456 % 97}",id="123456"} 0\n`);
  assert.deepEqual(again.duplicates?.first, [{ line: 200_002, firstLine: 123_458, series: `x_total{shard="${123_456 % 97}",id="123456"}` }]);
});

test('a duplicate with a long label value is reported with the value cut', () => {
  const v = 'v'.repeat(10_000);
  const e = prom(`x{path="${v}"} 1\nx{path="${v}"} 2\n`);
  const d = e.duplicates!.first[0]!;
  assert.equal(d.series, `x{path="${'v'.repeat(64)}…(10000 chars)"}`);
});
