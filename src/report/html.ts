// The report: one self-contained HTML page (docs/report.md). Everything it needs is inside it:
// the styles, uPlot (its IIFE build and CSS, given by the caller, who reads them from
// node_modules/uplot only when a report is built), the page's script and the data; a Content
// Security Policy that allows no request at all (default-src 'none') and only the page's own two
// scripts, by hash, so that even a `<script>` that got past the escaping would not run. Every
// value from the inputs is escaped (escape.ts). Accessible: one h1, a section per part with its
// h2, tables with captions and scoped headers, each chart a figure with a figcaption and its
// values in a table, and a print stylesheet. Pure: (inputs, options) → string.
import { createHash } from 'node:crypto';
import type { Diagnosis, Finding, Skipped } from '../model/diagnosis.js';
import { formatArgv, formatBytes } from '../render/format.js';
import { rerunTrend } from '../render/rerun.js';
import type { CheckResult } from '../model/check.js';
import { chartsOf, type ChartSpec } from './charts.js';
import { html, jsonForScript, slug } from './escape.js';
import { KIND_TITLES, type ReportInput } from './inputs.js';
import { PAGE_SCRIPT } from './page-script.js';
import { prepare, type Prepared, type TreeProc, type TreeView } from './prepare.js';
import type { RuleSettings } from '../rules/settings.js';

export interface ReportOptions {
  /** uPlot's dist/uPlot.iife.min.js and dist/uPlot.min.css, inlined as they are. */
  uplot: { js: string; css: string };
  /** When the report was made (ISO): shown, never read from the clock here. */
  generatedAt: string;
  /** `rerun-doctor 0.1.0`. */
  tool: string;
  title?: string;
  /** The config's rules, for the evidence documents diagnosed here. */
  rules?: RuleSettings;
}

const BECAUSE: Record<Skipped['because'], string> = { unavailable: 'evidence unavailable', failed: 'evidence could not be read', insufficient: 'not enough evidence' };

const STYLE = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg-soft: #f6f8fa; --err: #a40e26; --warn: #7d4e00; --ok: #116329; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif; color: var(--fg); margin: 0 auto; max-width: 1100px; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.3rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; margin-top: 2.25rem; }
h3 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; } h4 { font-size: 1rem; margin: 1rem 0 .25rem; }
code, pre, .argv { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85em; }
pre { background: var(--bg-soft); padding: .5rem .75rem; overflow-x: auto; border-radius: 4px; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); } .verdict { font-size: 1.1rem; font-weight: 600; }
.sev-error { color: var(--err); } .sev-warning { color: var(--warn); } .sev-info { color: var(--muted); } .ok { color: var(--ok); }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--muted); border-radius: 4px; padding: .25rem 1rem .75rem; margin: 1rem 0; }
.finding.sev-error { border-left-color: var(--err); } .finding.sev-warning { border-left-color: var(--warn); }
.finding, .finding p, .finding li { color: var(--fg); }
.badge { display: inline-block; font-size: .75rem; font-weight: 700; padding: 0 .4rem; border-radius: 3px; border: 1px solid currentColor; margin-left: .25rem; }
.orphan { color: var(--err); } .zombie { color: var(--warn); }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.25rem; margin: 0; } ul.tree { padding-left: 0; }
ul.tree li { margin: .2rem 0; } ul.tree ul { border-left: 1px dashed var(--line); }
.argv { display: block; color: var(--muted); word-break: break-all; }
figure { margin: 1rem 0 1.5rem; border: 1px solid var(--line); border-radius: 4px; padding: .75rem; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: .5rem; } figcaption .muted { font-weight: 400; }
.plot { width: 100%; min-height: 270px; }
nav ol { columns: 2; } details summary { cursor: pointer; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; } figure, .finding, table { break-inside: avoid; }
  details > summary { list-style: none; } details > summary::-webkit-details-marker { display: none; }
  .plot { min-height: 0; }
}
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function findingHtml(f: Finding, level: number): string {
  const h = `h${level}`;
  const out = [`<article class="finding sev-${html(f.severity)}" data-finding="${html(f.id)}">`];
  out.push(`<${h}><span class="sev-${html(f.severity)}">${html(f.severity)}</span> <code>${html(f.id)}</code>: ${html(f.title)}${f.confidence === 'low' ? ' <span class="badge sev-warning">low confidence</span>' : ''}</${h}>`);
  if (f.pids.length > 0) out.push(`<p>pids: ${f.pids.map((p) => `<code data-pid="${p}">${p}</code>`).join(', ')}</p>`);
  if (f.ports.length > 0) out.push(`<p>ports: ${f.ports.map((p) => `<code>:${p}</code>`).join(', ')}</p>`);
  out.push('<p><strong>Evidence</strong></p><ul>');
  for (const e of f.evidence) out.push(`<li>${html(e.text)} <span class="muted">(${html(e.source)})</span></li>`);
  out.push('</ul>');
  out.push(`<p><strong>Fix:</strong> ${html(f.fix)}</p>`);
  if (f.next.length > 0) out.push(`<p><strong>Next:</strong></p><pre><code>${f.next.map(html).join('\n')}</code></pre>`);
  out.push('</article>');
  return out.join('\n');
}

function diagnosisHtml(d: Diagnosis, level: number, caption: string): string {
  const cls = d.status === 'problems' ? 'sev-error' : d.status === 'no-problems' ? 'ok' : 'sev-warning';
  const out = [`<p class="verdict ${cls}">Verdict: ${html(d.verdict)}</p>`];
  if (d.findings.length === 0) out.push('<p>No findings.</p>');
  for (const f of d.findings) out.push(findingHtml(f, level));
  if (d.deferred.length > 0) {
    out.push(`<h${level}>Also seen</h${level}><p class="muted">Offered only when no orphan or leak explains the slowdown.</p>`);
    for (const f of d.deferred) out.push(findingHtml(f, level + 1));
  }
  if (d.skipped.length > 0) {
    out.push(`<table><caption>Not judged: ${html(caption)}</caption><thead><tr><th scope="col">rule</th><th scope="col">because</th><th scope="col">why</th></tr></thead><tbody>`);
    for (const k of d.skipped) out.push(`<tr><th scope="row"><code>${html(k.id)}</code></th><td>${html(BECAUSE[k.because])}</td><td>${html(k.reason)}</td></tr>`);
    out.push('</tbody></table>');
  }
  if (d.off.length > 0) out.push(`<p>Turned off in the config: ${d.off.map((id) => `<code>${html(id)}</code>`).join(', ')}</p>`);
  return out.join('\n');
}

function procLine(p: TreeProc): string {
  const marks = [p.orphan ? '<span class="badge orphan">ORPHAN</span>' : '', p.zombie ? '<span class="badge zombie">ZOMBIE</span>' : ''].join('');
  const ports = p.ports.length > 0 ? ` ports ${p.ports.map((x) => `<code>:${x}</code>`).join(' ')}` : '';
  return `<strong data-pid="${p.pid}">${p.pid}</strong> ${html(p.role)}/${html(p.kind ?? '-')} <span class="muted">ppid ${p.ppid}, rss ${html(formatBytes(p.rssBytes))}</span>${ports}${marks}<span class="argv">${html(formatArgv(p.argv, '?'))}</span>${p.note ? `<span class="muted">${p.orphan ? 'orphan: ' : ''}${html(p.note)}</span>` : ''}`;
}

function treeHtml(procs: TreeProc[]): string {
  const inRun = new Set(procs.map((p) => p.pid));
  const kids = new Map<number, TreeProc[]>();
  const roots: TreeProc[] = [];
  for (const p of procs) {
    if (inRun.has(p.ppid) && p.ppid !== p.pid) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p]);
    else roots.push(p);
  }
  const walk = (p: TreeProc, depth: number): string => {
    const children = depth < 64 ? (kids.get(p.pid) ?? []) : [];
    return `<li>${procLine(p)}${children.length > 0 ? `<ul>${children.map((c) => walk(c, depth + 1)).join('')}</ul>` : ''}</li>`;
  };
  return `<ul class="tree">${roots.map((r) => walk(r, 0)).join('')}</ul>`;
}

function treesHtml(trees: TreeView[]): string {
  const out = ['<section id="processes" aria-labelledby="h-processes"><h2 id="h-processes">Process trees by run</h2>'];
  if (trees.length === 0) out.push('<p>No process census among the inputs: an evidence document or a <code>watch procs --record</code> recording has one.</p>');
  for (const t of trees) {
    const all = t.runs.flatMap((r) => r.procs);
    const orphans = all.filter((p) => p.orphan).length;
    out.push(`<h3>${html(t.source)}</h3><p class="muted">${html(t.what)}, ${html(t.takenAt)}: ${plural(all.length, 'project process', 'project processes')} in ${plural(t.runs.length, 'run')}, ${orphans > 0 ? `<span class="orphan">${plural(orphans, 'orphan')}</span>` : 'no orphans'}.</p>`);
    if (t.runs.length === 0) out.push('<p>No server, worker or helper processes.</p>');
    for (const r of t.runs) {
      const status = r.status ? ` <span class="badge ${r.status === 'orphaned' ? 'orphan' : r.status === 'detached' ? 'zombie' : 'ok'}">${html(r.status.toUpperCase())}</span>` : '';
      out.push(`<h4>${html(r.title)}${status}</h4>${r.statusText ? `<p class="muted">${html(r.statusText)}</p>` : ''}${treeHtml(r.procs)}`);
    }
  }
  out.push('</section>');
  return out.join('\n');
}

function rerunHtml(inputs: ReportInput[]): string {
  const reruns = inputs.filter((i): i is Extract<ReportInput, { kind: 'rerun' }> => i.kind === 'rerun');
  if (reruns.length === 0) return '';
  const out = ['<section id="reruns" aria-labelledby="h-reruns"><h2 id="h-reruns">Reruns</h2>'];
  for (const r of reruns) {
    const t = rerunTrend(r.runs as CheckResult[], r.runs.length);
    const verdict = r.error ? `<span class="sev-error">${html(r.error)}</span>` : t.leaked ? `<span class="sev-error">LEAK: ${plural(t.left, 'process', 'processes')} left behind over ${plural(r.runs.length, 'run')}</span>` : '<span class="ok">nothing left behind</span>';
    out.push(`<h3>${html(r.name)}</h3>`);
    out.push(`<p>Command: <code>${html(formatArgv(r.command, '?'))}</code></p><p class="verdict">${verdict}${t.slower ? ' <span class="sev-error">SLOWER: time to ready grew</span>' : ''}</p>`);
    out.push(`<table><caption>Runs of ${html(r.name)}</caption><thead><tr><th scope="col">run</th><th scope="col">server pid</th><th scope="col">ready s</th><th scope="col">load s</th><th scope="col">stopped by</th><th scope="col">left behind</th><th scope="col">GPU MiB after</th><th scope="col">verdict</th></tr></thead><tbody>`);
    r.runs.forEach((run, i) => {
      const left = run.leftBehind.map((p) => `<code data-pid="${p.pid}">${p.pid}</code> ${html(p.role ?? 'other')}${p.orphan ? ' <span class="badge orphan">ORPHAN</span>' : ''}`).join('<br>');
      out.push(`<tr><th scope="row">${i + 1}</th><td class="num">${html(run.serverPid)}</td><td class="num">${run.readyMs === null ? '-' : (run.readyMs / 1000).toFixed(2)}</td><td class="num">${run.loadMs === null ? '-' : (run.loadMs / 1000).toFixed(2)}</td><td>${html(run.stopSignals.join(', '))}</td><td>${left || 'nothing'}</td><td class="num">${run.gpuAfterMiB ?? '-'}</td><td>${html(run.ok ? (run.diagnosis?.verdict ?? '-') : `not checked: ${run.error}`)}</td></tr>`);
    });
    out.push('</tbody></table>');
    r.runs.forEach((run, i) => {
      if (!run.diagnosis) return;
      out.push(`<details${i === r.runs.length - 1 ? ' open' : ''}><summary>Diagnosis after run ${i + 1}: ${html(run.diagnosis.verdict)}</summary>${diagnosisHtml(run.diagnosis, 4, `run ${i + 1}`)}</details>`);
    });
  }
  out.push('</section>');
  return out.join('\n');
}

function fmtX(c: ChartSpec, x: number): string {
  return c.x === 'run' ? String(x) : new Date(x * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function chartHtml(c: ChartSpec): string {
  const head = `<tr><th scope="col">${c.x === 'run' ? 'run' : 'time (UTC)'}</th>${c.series.map((s) => `<th scope="col">${html(s.label)}</th>`).join('')}</tr>`;
  const rows = c.xs.map((x, i) => `<tr><th scope="row">${html(fmtX(c, x))}</th>${c.series.map((s) => `<td class="num">${s.values[i] === null || s.values[i] === undefined ? 'gap' : html(s.values[i])}</td>`).join('')}</tr>`).join('');
  return `<figure id="${html(c.id)}" data-chart-kind="${html(c.kind)}" data-expected-series="${c.series.length}" aria-labelledby="${html(c.id)}-cap">
<figcaption id="${html(c.id)}-cap">${html(c.title)} <span class="muted">(${html(c.source)}; ${html(c.yLabel)})</span></figcaption>
<div class="plot" role="img" aria-label="${html(`${c.title}: ${c.summary}`)}"></div>
<p class="muted">${html(c.summary)}</p>
<details><summary>Data table</summary><table><caption>${html(c.title)}, ${html(c.source)}</caption><thead>${head}</thead><tbody>${rows}</tbody></table></details>
</figure>`;
}

function chartsHtml(p: Prepared): { section: string; charts: ChartSpec[] } {
  const set = chartsOf(p.inputs);
  const out = ['<section id="charts" aria-labelledby="h-charts"><h2 id="h-charts">Over time</h2>'];
  if (set.charts.length === 0) out.push('<p>No chart could be drawn from these inputs.</p>');
  for (const c of set.charts) out.push(chartHtml(c));
  if (set.absent.length > 0) {
    out.push('<h3 id="absent">Charts not drawn</h3><table><caption>Charts these inputs have no data for, and why</caption><thead><tr><th scope="col">chart</th><th scope="col">why it is absent</th></tr></thead><tbody>');
    for (const a of set.absent) out.push(`<tr data-absent="${html(a.kind)}"><th scope="row">${html(a.title)}</th><td>${html(a.why)}</td></tr>`);
    out.push('</tbody></table>');
  }
  out.push('</section>');
  return { section: out.join('\n'), charts: set.charts };
}

/** The page, from inputs as read (readReportInputs): redacted, diagnosed, charted. */
export function buildReportHtml(raw: ReportInput[], o: ReportOptions): string {
  const p = prepare(raw, { rules: o.rules });
  const title = o.title ?? 'rerun-doctor report';
  const charts = chartsHtml(p);
  const data = jsonForScript({ charts: charts.charts.map((c) => ({ id: c.id, x: c.x, yLabel: c.yLabel, xs: c.xs, series: c.series })) });
  const csp = `default-src 'none'; script-src ${sha256(o.uplot.js)} ${sha256(PAGE_SCRIPT)}; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; font-src 'none'; base-uri 'none'; form-action 'none'`;
  const verdicts = ['<section id="verdict" aria-labelledby="h-verdict"><h2 id="h-verdict">Verdict and findings</h2>'];
  if (p.diagnoses.length === 0) verdicts.push('<p>No diagnosis among the inputs: an evidence document (<code>diagnose --save</code>, <code>evidence --json</code>) or <code>diagnose --json</code> has one; a rerun’s are under Reruns.</p>');
  for (const d of p.diagnoses) verdicts.push(`<h3>${html(d.source)}</h3><p class="muted">${html(d.what)}</p>${diagnosisHtml(d.diagnosis, 4, d.source)}`);
  verdicts.push('</section>');
  const inputs = raw.map((i) => `<tr><th scope="row"><code>${html(i.name)}</code></th><td>${html(KIND_TITLES[i.kind])}</td></tr>`).join('');
  const toc = [['verdict', 'Verdict and findings'], ['processes', 'Process trees by run'], ...(p.inputs.some((i) => i.kind === 'rerun') ? [['reruns', 'Reruns']] : []), ['charts', 'Over time']];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${html(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${html(o.tool)}">
<title>${html(title)}</title>
<style>${o.uplot.css}</style>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${html(title)}</h1>
<p class="muted">Made ${html(o.generatedAt)} by ${html(o.tool)}. ${p.redactions > 0 ? `${plural(p.redactions, 'value')} redacted` : 'Nothing needed redacting'}, as <code>rerun-doctor evidence</code> redacts (docs/evidence-redaction.md). This page makes no network request.</p>
<table><caption>Inputs</caption><thead><tr><th scope="col">file</th><th scope="col">read as</th></tr></thead><tbody>${inputs}</tbody></table>
</header>
<nav aria-label="Contents"><ol>${toc.map(([id, t]) => `<li><a href="#${slug(id!)}">${html(t!)}</a></li>`).join('')}</ol></nav>
<main>
${verdicts.join('\n')}
${treesHtml(p.trees)}
${rerunHtml(p.inputs)}
${charts.section}
</main>
<script type="application/json" id="report-data">${data}</script>
<script>${o.uplot.js}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
