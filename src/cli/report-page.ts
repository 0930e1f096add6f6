// The HTML report for the commands that make one (report, diagnose --format html, rerun --html):
// the inputs read from files (each told by its content), uPlot read from node_modules/uplot only
// now (its IIFE build and CSS are inlined into the page), and the page built by src/report/.
// Loaded lazily by those commands, so that no other command pays for it.
import { createRequire } from 'node:module';
import { FileProblem, readRegularFile } from '../host/files.js';
import { buildReportHtml } from '../report/html.js';
import { readReportInputs, type ReportInput } from '../report/inputs.js';
import type { RuleSettings } from '../rules/settings.js';
import { version } from '../version.js';
import { UsageError } from './errors.js';

/** uPlot's browser build and stylesheet, as the package ships them (docs/architecture.md, Dependencies). */
export function loadUplot(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  const read = (rel: string) => {
    let path: string;
    try {
      path = require.resolve(`uplot/${rel}`);
    } catch {
      throw new UsageError(`the HTML report needs the uplot package (uplot/${rel} not found): reinstall rerun-doctor`);
    }
    const text = readRegularFile(path);
    if (text === null) throw new UsageError(`the HTML report needs ${path}, which is missing: reinstall rerun-doctor`);
    return text;
  };
  return { js: read('dist/uPlot.iife.min.js'), css: read('dist/uPlot.min.css') };
}

/** Every input of one file, or one line naming the file. */
export function readInputFile(file: string): ReportInput[] {
  let text: string | null;
  try {
    text = readRegularFile(file);
  } catch (e) {
    if (!(e instanceof FileProblem)) throw e;
    throw new UsageError(`report: "${file}": ${e.code === 'EISDIR' || /is a directory/.test(e.problem) ? 'is a directory, not a report input' : e.problem}`);
  }
  if (text === null) throw new UsageError(`report: "${file}": no such file`);
  return readReportInputs(text, file);
}

export function reportHtml(inputs: ReportInput[], o: { now: Date; rules?: RuleSettings; title?: string }): string {
  return buildReportHtml(inputs, { uplot: loadUplot(), generatedAt: o.now.toISOString(), tool: `rerun-doctor ${version()}`, rules: o.rules, title: o.title });
}
