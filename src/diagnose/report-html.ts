// One self-contained HTML file: summary, the header block (what produced the report, every input with size,
// SHA-256, span, blind spots, problems), a zoomable timeline (uPlot, inlined) of message times per source and
// direction with incidents shaded and labelled, axis in UTC, and per incident the verdict, evidence and Notifs
// connections. No network access needed.
// Safety: every captured string is made printable (escape.ts: controls, bidi overrides) and HTML-escaped; the chart's data is JSON inside
// <script type="application/json"> with <, >, & escaped; our scripts contain no data, so a strict CSP can allow
// exactly them by sha256 hash (no 'unsafe-inline' for scripts, no event-handler attributes anywhere).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartSeries, Diagnosis, DiagnosisIncident } from './diagnose.ts';
import { outcomeWords } from './diagnose.ts';
import { formatDuration, iso } from './duration.ts';
import { printable } from './escape.ts';
import { CONNECTION_COLUMNS, connectionView } from './report-connections.ts';
import { headerView, type ReportContext } from './report-header.ts';

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

/** Captured text into markup: printable first (no raw controls or bidi overrides), then HTML-escaped. */
const e = (s: string): string => escapeHtml(printable(s));

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

/** Lane colours: the chart's points and the legend's swatches (CSS classes, since the CSP forbids inline styles). */
const LANE_COLORS = ['#0b5cad', '#d1242f', '#1a7f37', '#8a4b00', '#8b1a8b', '#116329', '#953800', '#0550ae'];
const INCIDENT_FILL = 'rgba(209,36,47,0.16)';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:20px;color:#1b1f24;background:#fff}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:22px 0 6px}
.summary{font-size:16px;font-weight:600;margin:6px 0 14px}
.domain-desktop{color:#8a4b00}.domain-network{color:#0b5cad}.domain-backend{color:#8b1a8b}.domain-unknown{color:#555}
table{border-collapse:collapse;width:100%;margin:6px 0 10px}td,th{border:1px solid #d0d7de;padding:3px 6px;vertical-align:top;text-align:left}
td.fact,td.wrap{word-break:break-word;white-space:pre-wrap}th{background:#f6f8fa}
table.facts{width:auto}table.facts th{white-space:nowrap}code.hash{font-size:12px;word-break:break-all}
#report-header{border:1px solid #d0d7de;border-radius:6px;padding:4px 12px;margin:10px 0;background:#fbfcfd}
.incident{border-left:4px solid #d1242f;padding:2px 12px;margin:14px 0}
.muted{color:#57606a}#chart{min-height:300px}.note{background:#fff8c5;padding:4px 8px}
ul{margin:4px 0 8px}code{background:#f6f8fa;padding:0 3px}
ul.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px 18px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:6px;margin-right:6px;vertical-align:-1px}
.swatch.incident-band{border-radius:2px;background:${INCIDENT_FILL};border:1px solid #d1242f}
${LANE_COLORS.map((c, i) => `.lane-${i}{background:${c}}`).join('\n')}
`;

// Our chart code: reads the JSON block, draws points per lane (y-axis as wide as the longest label, so none is
// cut), x-axis in UTC like every table, shades and labels incidents; records what it drew as data-* attributes.
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
  var colors = data.colors;
  // The first lane at the top, in the legend's order.
  function yOf(li) { return lanes.length - li; }
  lanes.forEach(function (s, li) {
    var col = new Array(xs.length).fill(null);
    s.ts.forEach(function (t) { col[index.get(t / 1000)] = yOf(li); });
    cols.push(col);
  });
  var series = [{}].concat(lanes.map(function (s, li) {
    return { label: s.label, stroke: colors[li % colors.length], fill: colors[li % colors.length],
      width: 0, paths: function () { return null; },
      points: { show: true, size: 7, fill: colors[li % colors.length], stroke: colors[li % colors.length] } };
  }));
  var font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  var measure = document.createElement('canvas').getContext('2d');
  measure.font = font;
  var labelWidth = 0;
  lanes.forEach(function (s) { labelWidth = Math.max(labelWidth, measure.measureText(s.label).width); });
  var ySize = Math.ceil(labelWidth) + 22;
  el.setAttribute('data-label-width', String(Math.ceil(labelWidth)));
  el.setAttribute('data-axis-size', String(ySize));
  el.setAttribute('data-lanes', lanes.map(function (s) { return s.label; }).join('|'));
  function utc(v, incr, first) {
    var d = new Date(Math.round(v * 1000)).toISOString();
    var t = incr < 1 ? d.slice(11, 23) : d.slice(11, 19);
    return first ? t + '\\n' + d.slice(0, 10) : t;
  }
  var pr = uPlot.pxRatio || 1;
  var opts = {
    width: Math.max(600, el.clientWidth || 900), height: 140 + 34 * lanes.length,
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
    legend: { show: false },
    scales: { x: { time: true }, y: { range: [0.3, lanes.length + 0.7] } },
    axes: [
      { label: 'time (UTC)', size: 56, space: 90, font: font, labelFont: 'bold ' + font,
        values: function (u, splits, ai, space, incr) {
          var out = splits.map(function (v, i) { return utc(v, incr, i === 0); });
          el.setAttribute('data-x-ticks', out.join('|').replace(/\\n/g, ' '));
          return out;
        } },
      { size: ySize, font: font, gap: 6,
        splits: function () { return lanes.map(function (_, i) { return i + 1; }); },
        values: function (u, splits) { return splits.map(function (v) { var l = lanes[lanes.length - v]; return l ? l.label : ''; }); } }
    ],
    cursor: { drag: { x: true, y: false } },
    series: series,
    hooks: { draw: [function (u) {
      var ctx = u.ctx; var labels = [];
      ctx.save();
      ctx.beginPath(); ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height); ctx.clip();
      ctx.font = 'bold ' + Math.round(12 * pr) + 'px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      ctx.textBaseline = 'top';
      ctx.textAlign = 'left';
      data.incidents.forEach(function (i, k) {
        var x0 = u.valToPos(i.start / 1000, 'x', true), x1 = u.valToPos(i.end / 1000, 'x', true);
        ctx.fillStyle = data.incidentFill;
        ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
        var text = '#' + i.id + ' ' + i.cause;
        ctx.fillStyle = '#a40e26';
        ctx.fillText(text, x0 + 3 * pr, u.bbox.top + (3 + 16 * (k % 3)) * pr);
        labels.push(text);
      });
      ctx.restore();
      el.setAttribute('data-shaded', String(labels.length));
      el.setAttribute('data-incident-labels', labels.join('|'));
    }] }
  };
  var plot = new uPlot(opts, cols, el);
  window.addEventListener('resize', function () { plot.setSize({ width: Math.max(600, el.clientWidth), height: opts.height }); });
  el.setAttribute('data-rendered', 'true');
})();
`;

/** "desktop.har desktop→Notifs": the file's base name (the whole path when two inputs share a base name). */
export function laneLabels(series: ChartSeries[]): string[] {
  const base = (f: string) => f.replace(/^.*[\\/]/, '') || f;
  const count = new Map<string, Set<string>>();
  for (const s of series) count.set(base(s.source), (count.get(base(s.source)) ?? new Set()).add(s.source));
  return series.map((s) => {
    const name = (count.get(base(s.source))?.size ?? 0) > 1 ? s.source : base(s.source);
    return printable(`${name} ${s.dir === 'c2s' ? 'desktop→Notifs' : 'Notifs→desktop'}`);
  });
}

function headerBlock(d: Diagnosis, ctx: ReportContext | undefined): string[] {
  const h = headerView(d, ctx);
  const H = ['<section id="report-header"><h2>About this report</h2><table class="facts"><tbody>'];
  for (const [k, v] of h.facts) H.push(`<tr><th>${e(k)}</th><td class="wrap" data-fact="${e(k)}">${e(v)}</td></tr>`);
  H.push('</tbody></table><h2>Inputs</h2><table id="inputs"><thead><tr>');
  for (const c of [
    'file',
    'size',
    'SHA-256',
    'kind',
    'Notifs events',
    'clock',
    'span (reference clock)',
    'cannot show',
    'problems',
  ])
    H.push(`<th>${e(c)}</th>`);
  H.push('</tr></thead><tbody>');
  for (const f of h.files) {
    const problems = f.problems.length ? `<ul>${f.problems.map((p) => `<li>${e(p)}</li>`).join('')}</ul>` : 'none';
    H.push(
      `<tr><td class="wrap">${e(f.file)}</td><td>${e(f.size)}</td><td><code class="hash">${e(f.sha256)}</code></td><td>${e(f.kind)}</td><td>${e(f.events)}</td><td>${e(f.clock)}</td><td>${e(f.span)}</td><td>${e(f.blindTo)}</td><td class="wrap">${problems}</td></tr>`,
    );
  }
  H.push('</tbody></table></section>');
  return H;
}

function connectionsTable(inc: DiagnosisIncident): string[] {
  if (!inc.connections.length) return [];
  const H = ['<p><b>Notifs connections</b></p><table class="connections"><thead><tr>'];
  for (const c of CONNECTION_COLUMNS) H.push(`<th>${e(c)}</th>`);
  H.push('</tr></thead><tbody>');
  for (const c of inc.connections) {
    const v = connectionView(c);
    const cells = [v.source, v.endpoints, v.tls, v.opened, v.closeFrames, v.ended];
    H.push(`<tr>${cells.map((x) => `<td class="wrap">${e(x)}</td>`).join('')}</tr>`);
  }
  H.push('</tbody></table>');
  return H;
}

function incidentSection(inc: DiagnosisIncident): string[] {
  const H: string[] = [];
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
  H.push(...connectionsTable(inc));
  if (inc.missing.length) {
    H.push('<p><b>Evidence that would settle it</b></p><ul>');
    for (const m of inc.missing) H.push(`<li>${e(m.what)}</li>`);
    H.push('</ul>');
  }
  H.push('<p><b>Next steps</b></p><ol>');
  for (const s of inc.nextSteps) H.push(`<li>${e(s)}</li>`);
  H.push('</ol></section>');
  return H;
}

export function renderHtml(d: Diagnosis, series: ChartSeries[], ctx?: ReportContext): string {
  const { js, css } = uplotAssets();
  const style = `${css}\n${STYLE}`;
  const labels = laneLabels(series);
  const data = {
    series: series.map((s, i) => ({ label: labels[i], ts: s.ts })),
    incidents: d.incidents.map((i) => ({ id: i.id, start: i.start, end: i.end, cause: i.cause })),
    colors: LANE_COLORS,
    incidentFill: INCIDENT_FILL,
  };
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(js)} ${sha256(CHART_SCRIPT)}`,
    `style-src ${sha256(style)}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const H: string[] = [];
  H.push('<!doctype html>', '<html lang="en"><head><meta charset="utf-8">');
  H.push(`<meta http-equiv="Content-Security-Policy" content="${e(csp)}">`);
  H.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  H.push('<title>Lifeline diagnosis</title>');
  H.push(`<style>${style}</style></head><body>`);
  H.push('<h1>Agent Desktop disconnect diagnosis</h1>');
  H.push(`<p class="summary" id="summary">${e(d.summary.text)}</p>`);
  H.push(...headerBlock(d, ctx));
  H.push('<h2>Timeline</h2><p class="muted">Times in UTC. Drag on the chart to zoom, double-click to reset.</p>');
  if (series.length) {
    H.push('<ul class="legend" id="legend">');
    for (const [i, l] of labels.entries())
      H.push(`<li><span class="swatch lane-${i % LANE_COLORS.length}"></span>${e(l)}</li>`);
    if (d.incidents.length) H.push('<li><span class="swatch incident-band"></span>incident (#id cause)</li>');
    H.push('</ul>');
  }
  H.push(`<div id="chart" data-incidents="${d.incidents.length}"></div>`);
  for (const inc of d.incidents) H.push(...incidentSection(inc));
  for (const n of d.notes) H.push(`<p class="note">${e(n)}</p>`);
  H.push(`<script type="application/json" id="lifeline-data">${scriptJson(data)}</script>`);
  H.push(`<script>${js}</script>`);
  H.push(`<script>${CHART_SCRIPT}</script>`);
  H.push('</body></html>');
  return `${H.join('\n')}\n`;
}
