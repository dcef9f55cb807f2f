// Markdown report for a ticket: summary, one section per incident, the evidence table, what to collect next.
// Captured strings are escaped so they cannot break out of table cells or inject markup/links.
import type { Diagnosis } from './diagnose.ts';
import { clockWords, outcomeWords } from './diagnose.ts';
import { formatDuration, iso } from './duration.ts';

/** Escape Markdown and HTML-significant characters; newlines become spaces (one table row per fact). */
export function mdEscape(s: string): string {
  return s
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[\\`*_{}[\]()#+\-.!|<>&~^"']/g, (c) =>
      c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`,
    );
}

export function renderMarkdown(d: Diagnosis): string {
  const L: string[] = [];
  L.push('# Agent Desktop disconnect diagnosis', '');
  L.push(`**${mdEscape(d.summary.text)}**`, '');
  if (d.start !== undefined && d.end !== undefined)
    L.push(
      `Evidence covers ${iso(d.start)} → ${iso(d.end)} (reference clock: ${mdEscape(d.reference ?? 'none')}).`,
      '',
    );
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
    if (inc.missing.length) {
      L.push('**Evidence that would settle it:**', '');
      for (const m of inc.missing) L.push(`- ${mdEscape(m.what)}`);
      L.push('');
    }
    L.push('**Next steps:**', '');
    for (const s of inc.nextSteps) L.push(`1. ${mdEscape(s)}`);
    L.push('');
  }
  L.push('## Evidence read', '', '| file | kind | Notifs events | clock |', '|---|---|---|---|');
  for (const s of d.sources) {
    const clock = clockWords(s.clock);
    L.push(`| ${mdEscape(s.file)} | ${s.kind}/${mdEscape(s.format)} | ${s.events} | ${mdEscape(clock)} |`);
  }
  for (const u of d.unreadable)
    L.push(`| ${mdEscape(u.file)} | unreadable | 0 | ${mdEscape(`${u.code}: ${u.message}`)} |`);
  L.push('');
  for (const n of d.notes) L.push(`> ${mdEscape(n)}`, '');
  return `${L.join('\n')}\n`;
}
