// The page's own script, inlined after uPlot: draws each <figure data-chart> from the report's
// data (a <script type="application/json">, never executed), marks it drawn with its series count
// (data-drawn, data-series: the browser test reads them), redraws on resize, and opens every
// <details> before printing so the data tables print. Plain ES2017, no network, no eval.
export const PAGE_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var colors = ['#1f5fbf', '#c0392b', '#1e8449', '#8e44ad', '#b9770e', '#117a8b'];
  var dashes = [[], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3]];
  var plots = [];
  function draw(fig, spec) {
    var box = fig.querySelector('.plot');
    var width = Math.max(280, box.clientWidth || 640);
    var series = [{ label: spec.x === 'run' ? 'run' : 'time' }];
    spec.series.forEach(function (s, i) {
      series.push({ label: s.label, stroke: colors[i % colors.length], dash: dashes[i % dashes.length], width: 2, spanGaps: false, points: { show: spec.xs.length < 40, size: 6 } });
    });
    var opts = {
      title: '',
      width: width,
      height: 260,
      scales: { x: { time: spec.x === 'time' }, y: { range: function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.1 : 1]; } } },
      series: series,
      axes: [
        spec.x === 'run' ? { label: 'run', values: function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) ? String(v) : ''; }); } } : {},
        { label: spec.yLabel, size: 60 }
      ],
      legend: { live: true }
    };
    var u = new uPlot(opts, [spec.xs].concat(spec.series.map(function (s) { return s.values; })), box);
    plots.push({ u: u, box: box });
    fig.setAttribute('data-drawn', 'true');
    fig.setAttribute('data-series', String(u.series.length - 1));
  }
  data.charts.forEach(function (spec) {
    var fig = document.getElementById(spec.id);
    if (!fig) { console.error('report: no figure for ' + spec.id); return; }
    draw(fig, spec);
  });
  var pending = null;
  window.addEventListener('resize', function () {
    if (pending) clearTimeout(pending);
    pending = setTimeout(function () {
      plots.forEach(function (p) { p.u.setSize({ width: Math.max(280, p.box.clientWidth || 640), height: 260 }); });
    }, 100);
  });
  window.addEventListener('beforeprint', function () {
    Array.prototype.forEach.call(document.querySelectorAll('details'), function (d) { d.open = true; });
  });
})();`;
