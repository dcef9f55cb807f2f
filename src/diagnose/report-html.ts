// One self-contained HTML file: summary, a zoomable timeline (uPlot, inlined) of message times per source and
// direction with incidents shaded, and per incident the verdict and evidence. No network access needed.
// Safety: every captured string is HTML-escaped in the markup; the chart's data is JSON inside
// <script type="application/json"> with <, >, & escaped; our scripts contain no data, so a strict CSP can allow
// exactly them by sha256 hash (no 'unsafe-inline' for scripts, no event-handler attributes anywhere).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartSeries, Diagnosis } from './diagnose.ts';
import { clockWords, outcomeWords } from './diagnose.ts';
import { formatDuration, iso } from './duration.ts';

const require = createRequire(import.meta.url);

let uplotCache: { js: string; css: string } | undefined;
function uplotAssets(): { js: string; css: string } {
  if (!uplotCache) {
    const dir = require.resolve('uplot/dist/uPlot.iife.min.js').replace(/uPlot\.iife\.min\.js$/, '');
    uplotCache = {
      js: readFileSync(`${dir}uPlot.iife.min.js`, 'utf8'),
      css: readFileSync(`${dir}uPlot.min.css`, 'utf8'),
    };
  }
  return uplotCache;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe to place inside a <script type="application/json"> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function sha256(s: string): string {
  return `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:20px;color:#1b1f24;background:#fff}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:22px 0 6px}
.summary{font-size:16px;font-weight:600;margin:6px 0 14px}
.domain-desktop{color:#8a4b00}.domain-network{color:#0b5cad}.domain-backend{color:#8b1a8b}.domain-unknown{color:#555}
table{border-collapse:collapse;width:100%;margin:6px 0 10px}td,th{border:1px solid #d0d7de;padding:3px 6px;vertical-align:top;text-align:left}
td.fact{word-break:break-word;white-space:pre-wrap}th{background:#f6f8fa}
.incident{border-left:4px solid #d1242f;padding:2px 12px;margin:14px 0}
.muted{color:#57606a}#chart{min-height:300px}.note{background:#fff8c5;padding:4px 8px}
ul{margin:4px 0 8px}code{background:#f6f8fa;padding:0 3px}
`;

// Our chart code: reads the JSON block, draws points per lane, shades incidents, records how many it shaded.
const CHART_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('lifeline-data').textContent);
  var el = document.getElementById('chart');
  var lanes = data.series;
  if (!lanes.length) { el.textContent = 'No messages to plot.'; el.setAttribute('data-shaded', '0'); return; }
  var xsSet = new Set();
  lanes.forEach(function (s) { s.ts.forEach(function (t) { xsSet.add(t / 1000); }); });
  data.incidents.forEach(function (i) { xsSet.add(i.start / 1000); xsSet.add(i.end / 1000); });
  var xs = Array.from(xsSet).sort(function (a, b) { return a - b; });
  var index = new Map(xs.map(function (x, i) { return [x, i]; }));
  var cols = [xs];
  var colors = ['#0b5cad', '#d1242f', '#1a7f37', '#8a4b00', '#8b1a8b', '#116329', '#953800', '#0550ae'];
  lanes.forEach(function (s, li) {
    var col = new Array(xs.length).fill(null);
    s.ts.forEach(function (t) { col[index.get(t / 1000)] = li + 1; });
    cols.push(col);
  });
  var series = [{}].concat(lanes.map(function (s, li) {
    return { label: s.label, stroke: colors[li % colors.length], fill: colors[li % colors.length],
      width: 0, paths: function () { return null; }, points: { show: true, size: 6 } };
  }));
  var shaded = 0;
  var opts = {
    width: Math.max(600, el.clientWidth || 900), height: 120 + 34 * lanes.length,
    scales: { x: { time: true }, y: { range: [0.3, lanes.length + 0.7] } },
    axes: [{}, { size: 260, splits: function () { return lanes.map(function (_, i) { return i + 1; }); },
      values: function (u, splits) { return splits.map(function (v) { return lanes[v - 1] ? lanes[v - 1].label : ''; }); } }],
    cursor: { drag: { x: true, y: false } },
    series: series,
    hooks: { draw: [function (u) {
      var ctx = u.ctx; var n = 0;
      ctx.save(); ctx.fillStyle = 'rgba(209,36,47,0.16)';
      data.incidents.forEach(function (i) {
        var x0 = u.valToPos(i.start / 1000, 'x', true), x1 = u.valToPos(i.end / 1000, 'x', true);
        var w = Math.max(2, x1 - x0);
        ctx.fillRect(x0, u.bbox.top, w, u.bbox.height); n++;
      });
      ctx.restore(); shaded = n; el.setAttribute('data-shaded', String(n));
    }] }
  };
  var plot = new uPlot(opts, cols, el);
  window.addEventListener('resize', function () { plot.setSize({ width: Math.max(600, el.clientWidth), height: opts.height }); });
  el.setAttribute('data-rendered', 'true');
})();
`;

export function renderHtml(d: Diagnosis, series: ChartSeries[]): string {
  const { js, css } = uplotAssets();
  const style = `${css}\n${STYLE}`;
  const data = {
    series: series.map((s) => ({
      label: `${s.source} ${s.dir === 'c2s' ? 'desktop→Notifs' : 'Notifs→desktop'}`,
      ts: s.ts,
    })),
    incidents: d.incidents.map((i) => ({ id: i.id, start: i.start, end: i.end, cause: i.cause })),
  };
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(js)} ${sha256(CHART_SCRIPT)}`,
    `style-src ${sha256(style)}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const e = escapeHtml;
  const H: string[] = [];
  H.push('<!doctype html>', '<html lang="en"><head><meta charset="utf-8">');
  H.push(`<meta http-equiv="Content-Security-Policy" content="${e(csp)}">`);
  H.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  H.push('<title>Lifeline diagnosis</title>');
  H.push(`<style>${style}</style></head><body>`);
  H.push('<h1>Agent Desktop disconnect diagnosis</h1>');
  H.push(`<p class="summary" id="summary">${e(d.summary.text)}</p>`);
  if (d.start !== undefined && d.end !== undefined)
    H.push(
      `<p class="muted">Evidence covers ${e(iso(d.start))} → ${e(iso(d.end))}; reference clock: ${e(d.reference ?? 'none')}. Drag on the chart to zoom, double-click to reset.</p>`,
    );
  H.push(`<div id="chart" data-incidents="${d.incidents.length}"></div>`);
  for (const inc of d.incidents) {
    H.push(
      `<section class="incident" id="incident-${inc.id}" data-cause="${e(inc.cause)}" data-domain="${e(inc.domain)}">`,
    );
    H.push(
      `<h2>#${inc.id} ${e(inc.cause)}${inc.detail ? ` (${e(inc.detail)})` : ''} — <span class="domain-${e(inc.domain)}">${inc.domain === 'unknown' ? 'who must act: unknown' : `${e(inc.domain)} must act`}</span></h2>`,
    );
    H.push(
      `<p>${e(iso(inc.start))} → ${e(iso(inc.end))} (${e(formatDuration(inc.durationMs))}) · ${e(outcomeWords(inc.outcome))} · confidence ${inc.confidence.toFixed(2)}</p>`,
    );
    H.push(`<p>${e(inc.summary)}</p>`);
    for (const c of inc.contradictions) H.push(`<p class="note">Against it: ${e(c)}</p>`);
    if (inc.alsoConsidered.length)
      H.push(
        `<p class="muted">Also considered: ${e(inc.alsoConsidered.map((a) => `${a.cause} (${a.confidence.toFixed(2)})`).join(', '))}</p>`,
      );
    H.push('<table class="evidence"><thead><tr><th>time (UTC)</th><th>source</th><th>fact</th></tr></thead><tbody>');
    for (const ev of inc.evidence)
      H.push(`<tr><td>${e(iso(ev.ts))}</td><td>${e(ev.source)}</td><td class="fact">${e(ev.fact)}</td></tr>`);
    H.push('</tbody></table>');
    if (inc.missing.length) {
      H.push('<p><b>Evidence that would settle it</b></p><ul>');
      for (const m of inc.missing) H.push(`<li>${e(m.what)}</li>`);
      H.push('</ul>');
    }
    H.push('<p><b>Next steps</b></p><ol>');
    for (const s of inc.nextSteps) H.push(`<li>${e(s)}</li>`);
    H.push('</ol></section>');
  }
  H.push(
    '<h2>Evidence read</h2><table><thead><tr><th>file</th><th>kind</th><th>Notifs events</th><th>clock</th><th>problems</th></tr></thead><tbody>',
  );
  for (const s of d.sources) {
    const clock = clockWords(s.clock);
    H.push(
      `<tr><td>${e(s.file)}</td><td>${e(`${s.kind}/${s.format}`)}</td><td>${s.events}</td><td>${e(clock)}</td><td>${s.problems.length}</td></tr>`,
    );
  }
  for (const u of d.unreadable)
    H.push(
      `<tr><td>${e(u.file)}</td><td>unreadable</td><td>0</td><td></td><td>${e(`${u.code}: ${u.message}`)}</td></tr>`,
    );
  H.push('</tbody></table>');
  for (const n of d.notes) H.push(`<p class="note">${e(n)}</p>`);
  H.push(`<script type="application/json" id="lifeline-data">${scriptJson(data)}</script>`);
  H.push(`<script>${js}</script>`);
  H.push(`<script>${CHART_SCRIPT}</script>`);
  H.push('</body></html>');
  return `${H.join('\n')}\n`;
}
