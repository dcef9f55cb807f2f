// The demo's index.html: one self-contained page (no scripts, no external assets), every value escaped, linking
// each scenario's report and evidence. Injected fault vs the troubleshooter's verdict, with ✓/✗.
import { escapeHtml as esc } from './check.ts';
import type { RunResult } from './run-scenario.ts';

export interface DemoSummary {
  createdAt: number;
  durationMs: number;
  results: RunResult[];
  /** Scenarios not run here, with the reason (e.g. namespaces need root). */
  notes: string[];
}

function pct(n: number, d: number): string {
  return d === 0 ? '–' : `${Math.round((100 * n) / d)}%`;
}

export function renderDemoIndex(s: DemoSummary): string {
  const ran = s.results.filter((r) => r.check);
  const ok = ran.filter((r) => r.check?.ok).length;
  const domainOk = ran.filter((r) => r.check?.domainOk).length;
  const rows = s.results
    .map((r) => {
      const t = r.truth;
      const c = r.check;
      const exp = t ? `${t.expected.domain} / ${t.expected.cause}` : '';
      let verdict = '';
      let mark = '';
      let cls = '';
      if (r.skipped) {
        verdict = `skipped: ${r.skipped}`;
        cls = 'skip';
      } else if (r.error && !c) {
        verdict = `not run to the end: ${r.error}`;
        mark = '✗';
        cls = 'bad';
      } else if (c) {
        verdict = c.got
          ? `${c.got.domain} / ${c.got.cause} (${c.got.confidence.toFixed(2)}${c.got.outcome ? `, ${c.got.outcome}` : ''})`
          : 'no incident';
        mark = c.ok ? '✓' : c.domainOk ? '½ (domain ✓, cause ✗)' : '✗';
        cls = c.ok ? 'ok' : 'bad';
      }
      const links: string[] = [];
      if (c) links.push(`<a href="${esc(encodeURI(`${r.scenario}/report.html`))}">report</a>`);
      if (t) {
        links.push(`<a href="${esc(encodeURI(`${r.scenario}/truth.json`))}">truth</a>`);
        for (const [kind, file] of Object.entries(t.evidence)) {
          links.push(`<a href="${esc(encodeURI(`${r.scenario}/${file}`))}">${esc(kind)}</a>`);
        }
      }
      return `<tr class="${cls}"><td><b>${esc(r.scenario)}</b><br><small>${esc(t?.title ?? '')}</small></td><td>${esc(
        t?.fault ?? '',
      )}</td><td>${esc(exp)}</td><td>${esc(verdict)}</td><td class="mark">${esc(mark)}</td><td>${links.join(' ')}</td></tr>`;
    })
    .join('\n');
  const notes = s.notes.map((n) => `<li>${esc(n)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lifeline demo: injected faults vs verdicts</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:.4em .6em;vertical-align:top;text-align:left}
th{background:#f3f3f3}
tr.ok td.mark{color:#080;font-weight:bold}
tr.bad td.mark{color:#b00;font-weight:bold}
tr.skip{color:#888}
small{color:#666}
</style></head><body>
<h1>Lifeline demo</h1>
<p>Each row broke a live desktop ⇄ Notifs connection on purpose, collected the evidence a support engineer would get
(desktop error report, packet capture, device log; HAR and NetLog for browser desktops), and ran the troubleshooter
on it. ${esc(String(ran.length))} scenarios ran in ${esc((s.durationMs / 1000).toFixed(0))} s:
<b>${esc(pct(ok, ran.length))}</b> fully correct (${esc(String(ok))}/${esc(String(ran.length))}),
${esc(pct(domainOk, ran.length))} correct domain. Written ${esc(new Date(s.createdAt).toISOString())}.</p>
<table><thead><tr><th>scenario</th><th>injected fault</th><th>expected (domain / cause)</th><th>verdict (confidence, outcome)</th><th>correct</th><th>files</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${notes ? `<h2>Notes</h2><ul>${notes}</ul>` : ''}
<p><small>Timers: keepalive, silence and recovery are shortened for the lab (see each truth.json) and passed to
<code>lifeline diagnose</code> as <code>--keepalive/--silence/--recovery</code>.</small></p>
</body></html>
`;
}
