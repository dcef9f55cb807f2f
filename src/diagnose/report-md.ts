// Markdown report for a ticket: summary, one section per incident, the evidence table, what to collect next.
// Captured strings are escaped so they cannot break out of table cells or inject markup/links.
import type { Diagnosis, DiagnosisIncident } from './diagnose.ts';
import { outcomeWords } from './diagnose.ts';
import { formatDuration, iso } from './duration.ts';
import { printable } from './escape.ts';
import { CONNECTION_COLUMNS, connectionView } from './report-connections.ts';
import { headerView, type ReportContext } from './report-header.ts';

/**
 * Escape Markdown and HTML-significant characters; newlines become spaces (one table row per fact); controls and
 * bidi overrides are shown as `\x1b` / `\u202e` (escape.ts) so a renderer cannot be made to show text reversed.
 */
export function mdEscape(s: string): string {
  return printable(s.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\t/g, ' ')).replace(
    /[\\`*_{}[\]()#+\-.!|<>&~^"']/g,
    (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`),
  );
}

const row = (cells: string[]) => `| ${cells.map(mdEscape).join(' | ')} |`;

/** The report's header block: what produced it, and every input with size, hash, span, blind spots, problems. */
function header(d: Diagnosis, ctx: ReportContext | undefined): string[] {
  const h = headerView(d, ctx);
  const L = ['## About this report', '', '| | |', '|---|---|', ...h.facts.map(([k, v]) => row([k, v])), ''];
  const cols = ['file', 'size', 'SHA-256', 'kind', 'Notifs events', 'clock', 'span (reference clock)', 'cannot show'];
  L.push('## Inputs', '', row(cols), `|${'---|'.repeat(cols.length)}`);
  for (const f of h.files) L.push(row([f.file, f.size, f.sha256, f.kind, f.events, f.clock, f.span, f.blindTo]));
  L.push('');
  for (const f of h.files) {
    if (!f.problems.length) continue;
    L.push(`Problems in ${mdEscape(f.file)}:`, '');
    for (const p of f.problems) L.push(`- ${mdEscape(p)}`);
    L.push('');
  }
  return L;
}

function connections(inc: DiagnosisIncident): string[] {
  if (!inc.connections.length) return [];
  const L = ['**Notifs connections:**', '', row(CONNECTION_COLUMNS), `|${'---|'.repeat(CONNECTION_COLUMNS.length)}`];
  for (const c of inc.connections) {
    const v = connectionView(c);
    L.push(row([v.source, v.endpoints, v.tls, v.opened, v.closeFrames, v.ended]));
  }
  L.push('');
  return L;
}

export function renderMarkdown(d: Diagnosis, ctx?: ReportContext): string {
  const L: string[] = [];
  L.push('# Agent Desktop disconnect diagnosis', '');
  L.push(`**${mdEscape(d.summary.text)}**`, '');
  L.push(...header(d, ctx));
  for (const inc of d.incidents) {
    L.push(`## Incident ${inc.id}: ${inc.cause}${inc.detail ? ` (${mdEscape(inc.detail)})` : ''} — ${inc.domain}`, '');
    L.push(`- **When:** ${iso(inc.start)} → ${iso(inc.end)} (${formatDuration(inc.durationMs)})`);
    L.push(`- **Who must act:** ${inc.domain}`);
    L.push(`- **Outcome:** ${outcomeWords(inc.outcome)}`);
    L.push(`- **Confidence:** ${inc.confidence.toFixed(2)}`);
    L.push(`- **Why:** ${mdEscape(inc.summary)}`);
    for (const c of inc.contradictions) L.push(`- **Against it:** ${mdEscape(c)}`);
    if (inc.alsoConsidered.length)
      L.push(
        `- **Also considered:** ${inc.alsoConsidered.map((a) => `${a.cause} (${a.confidence.toFixed(2)})`).join(', ')}`,
      );
    L.push('', '| time (UTC) | source | fact |', '|---|---|---|');
    for (const e of inc.evidence) L.push(`| ${iso(e.ts)} | ${mdEscape(e.source)} | ${mdEscape(e.fact)} |`);
    L.push('');
    L.push(...connections(inc));
    if (inc.missing.length) {
      L.push('**Evidence that would settle it:**', '');
      for (const m of inc.missing) L.push(`- ${mdEscape(m.what)}`);
      L.push('');
    }
    L.push('**Next steps:**', '');
    for (const s of inc.nextSteps) L.push(`1. ${mdEscape(s)}`);
    L.push('');
  }
  for (const n of d.notes) L.push(`> ${mdEscape(n)}`, '');
  return `${L.join('\n')}\n`;
}
