// docs/report.png: the report of the captured sample run (test/fixtures/report/, SOURCE.md),
// built by the CLI and photographed in headless chromium (playwright-core, Debian's
// /usr/bin/chromium, off the network as in test/report/browser.test.ts).
//   npm run build && node scripts/report-screenshot.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'rd-shot-'));
const html = join(dir, 'report.html');
const inputs = ['evidence.json', 'rerun.json', 'watch-procs.ndjson', 'watch-metrics.ndjson', 'count-history.ndjson'].map((f) => join('test', 'fixtures', 'report', f));
execFileSync(process.execPath, [join(ROOT, 'dist', 'cli', 'bin.cjs'), 'report', ...inputs, '--out', html], { cwd: ROOT, stdio: 'inherit' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-pings', '--proxy-server=http://127.0.0.1:9', '--proxy-bypass-list=<-loopback>'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1500 }, deviceScaleFactor: 1 });
  const url = pathToFileURL(html).href;
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url);
  await page.waitForFunction("[...document.querySelectorAll('figure[data-chart-kind]')].every((f) => f.dataset.drawn === 'true')");
  // The first screen (the verdict and the findings), and the charts' first screen.
  await page.screenshot({ path: join(ROOT, 'docs', 'report.png'), fullPage: false });
  const box = await page.locator('#charts').boundingBox();
  await page.screenshot({ path: join(ROOT, 'docs', 'report-charts.png'), fullPage: true, clip: { x: 0, y: box.y, width: 1200, height: Math.min(box.height, 1500) } });
  console.log('wrote docs/report.png, docs/report-charts.png');
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
