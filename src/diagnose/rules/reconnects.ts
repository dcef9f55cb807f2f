// Reconnects family: new connections failing, and the fallback when nothing explains the incident.
import { ends, fromTrigger, item, kindOf, type Rule } from './candidate.ts';

/** Reconnect attempts failing (DNS, SYN without SYN-ACK, TLS, HTTP). Primary only when nothing explains the drop better. */
export const ruleConnectFailure: Rule = (f) => {
  if (!f.fails.length) return null;
  const evidence = ends(f.fails, 3).map((e) =>
    item(e.source, e.ts, `${kindOf(f, e.source)}: connect failed at ${e.stage}: ${e.error}`),
  );
  for (const d of f.devices.filter((d) => d.cause === 'syn-timeout' || d.cause === 'deny'))
    evidence.push(item(d.source, d.ts, `device log: ${d.reason ?? d.cause}`));
  const http5xx = f.fails.some((e) => e.stage === 'http' && /\b5\d\d\b/.test(e.error));
  // Refused = the server's host answered the SYN with RST: nothing listens there (the backend), not a path problem.
  const refused = f.fails.some((e) => /refused|ECONNREFUSED/i.test(e.error));
  const firstFail = f.fails[0].ts;
  const closeFirst = f.closes.some((c) => c.ts < firstFail);
  const dropAt = Math.min(firstFail, ...f.closes.map((c) => c.ts));
  // A silence that began well before the connection dropped explains the drop; one that began with it does not.
  const silenceFirst = f.silences.some((s) => s.from < dropAt - 1.5 * f.opts.keepaliveMs);
  // After a plain close (no silence before it), failing reconnects are what kept the desktop down.
  // The same attempt seen by several files is one attempt: count the file that saw the most.
  const perSource = new Map<string, number>();
  for (const e of f.fails) perSource.set(e.source, (perSource.get(e.source) ?? 0) + 1);
  const attempts = Math.max(...perSource.values());
  const base = silenceFirst ? 0.45 + 0.05 * Math.min(attempts, 4) : closeFirst && attempts < 2 ? 0.5 : 0.7;
  const stages = [...new Set(f.fails.map((e) => e.stage))].join(', ');
  const backend = http5xx || refused;
  return {
    cause: 'connect-failure',
    domain: backend ? 'backend' : 'network',
    detail: http5xx ? 'http-5xx' : refused ? 'refused' : undefined,
    summary: `${f.fails.length} (re)connect attempt(s) failed (${stages}).`,
    base,
    evidence,
    contradictions: [],
  };
};

export const ruleUnknown: Rule = (f) => ({
  cause: 'unknown',
  domain: 'unknown',
  summary: 'The evidence shows the incident but not its cause.',
  base: 0.2,
  evidence: f.incident.triggers.slice(0, 6).map((t) => fromTrigger(t, `${t.sourceKind}: `)),
  contradictions: [],
});
