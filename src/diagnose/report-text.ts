// Human text report: the summary first, then per incident the verdict, outcome, evidence, what is missing and
// what to do. Captured strings are made printable (control characters shown as \xNN) so a hostile message cannot
// drive the terminal.
import type { Diagnosis } from './diagnose.ts';
import { outcomeWords } from './diagnose.ts';
import { formatDuration, iso } from './duration.ts';
import { printable } from './escape.ts';

/** Terminal-safe: no control characters (escape sequences), no bidi overrides (see escape.ts). */
export { printable };

export function renderText(d: Diagnosis): string {
  const L: string[] = [];
  L.push(printable(d.summary.text));
  L.push('');
  for (const inc of d.incidents) {
    L.push(
      `#${inc.id} ${iso(inc.start)} → ${iso(inc.end)} (${formatDuration(inc.durationMs)}): ${inc.cause}${inc.detail ? ` [${inc.detail}]` : ''} — ${inc.domain === 'unknown' ? 'who must act: unknown' : `${inc.domain} must act`}; confidence ${inc.confidence.toFixed(2)}`,
    );
    L.push(`   ${printable(inc.summary)}`);
    L.push(`   outcome: ${outcomeWords(inc.outcome)}`);
    L.push('   evidence:');
    for (const e of inc.evidence) L.push(`     ${iso(e.ts)}  ${printable(e.source)}: ${printable(e.fact)}`);
    for (const c of inc.contradictions) L.push(`   against it: ${printable(c)}`);
    if (inc.alsoConsidered.length)
      L.push(
        `   also considered: ${inc.alsoConsidered.map((a) => `${a.cause} (${a.confidence.toFixed(2)})`).join(', ')}`,
      );
    if (inc.missing.length) {
      L.push('   would settle it:');
      for (const m of inc.missing) L.push(`     - ${m.what}`);
    }
    L.push('   next steps:');
    for (const s of inc.nextSteps) L.push(`     - ${printable(s)}`);
    L.push('');
  }
  L.push('Evidence read:');
  for (const s of d.sources) {
    const c = s.clock;
    const clock =
      c.method === 'reference'
        ? 'reference clock'
        : `clock ${c.offsetMs >= 0 ? '+' : ''}${formatDuration(c.offsetMs)} (${c.method}, ${c.matches} match(es), ±${formatDuration(c.spreadMs)}${c.clockUncertain ? ', UNCERTAIN' : ''})`;
    L.push(`  ${printable(s.file)}: ${s.kind}/${s.format}, ${s.events} Notifs event(s) of ${s.eventsRead}; ${clock}`);
    const errors = s.problems.filter((p) => p.severity === 'error').length;
    if (s.problems.length)
      L.push(
        `    ${s.problems.length} problem(s) (${errors} error(s)), first: ${printable(s.problems[0].code)}: ${printable(s.problems[0].message)}`,
      );
    if (s.blindTo.length) L.push(`    cannot show: ${printable(s.blindTo.join(', '))}`);
  }
  for (const u of d.unreadable)
    L.push(`  ${printable(u.file)}: UNREADABLE ${printable(u.code)}: ${printable(u.message)}`);
  if (d.notifs.hosts.length || d.notifs.ips.length)
    L.push(`Notifs: ${[...d.notifs.hosts, ...d.notifs.ips].map(printable).join(', ')}`);
  for (const n of d.notes) L.push(`Note: ${printable(n)}`);
  return `${L.join('\n')}\n`;
}
