// Closes family: a WebSocket/TCP close started by one side.
import type { IncidentFacts } from '../analyses.ts';
import { formatDuration } from '../duration.ts';
import type { Domain } from '../model.ts';
import type { AlignedEvent } from '../timeline.ts';
import { item, kindOf, type Rule } from './candidate.ts';
import {
  CODE_MULTI_LOGIN,
  CODE_SILENCE,
  CODE_SLEEP,
  closeBy,
  closeCode,
  closeFact,
  knownCode,
  POLICY_CODES,
  saysSilence,
  starterCloses,
} from './facts.ts';

function isMultiLogin(f: IncidentFacts, c: AlignedEvent): boolean {
  const reason = c.kind === 'conn-close' || c.kind === 'ws-control' ? (c.reason ?? '') : '';
  return !!f.multilogin || /multi.?login/i.test(reason);
}

/** WebSocket/TCP close started by the server; a close after ≥ ¾ of the silence timeout without desktop messages is a consequence. */
export const ruleClosedByServer: Rule = (f) => {
  const closes = starterCloses(f).filter(
    (c) => closeBy(f, c) === 'server' && !(c.kind === 'conn-close' && c.how === 'rst'),
  );
  if (!closes.length) return null;
  const evidence = closes.map((c) => item(c.source, c.ts, `${kindOf(f, c.source)}: ${closeFact(c)}`));
  const contradictions: string[] = [];
  let base = 0.65;
  let detail: string | undefined;
  let domain: Domain = 'backend';
  let summary = 'Notifs closed the connection.';
  const code = closes.map((c) => knownCode(f, c)).find((x) => x !== undefined);
  if (closes.some((c) => isMultiLogin(f, c) || knownCode(f, c) === CODE_MULTI_LOGIN)) {
    detail = 'multi-login';
    domain = 'desktop';
    summary =
      'Notifs closed the connection because the agent signed in elsewhere (multi-login); the desktop does not reconnect.';
    if (f.multilogin) evidence.push(item(f.multilogin.source, f.multilogin.ts, 'multi-login message from Notifs'));
    base = 0.7;
  } else if (code !== undefined && POLICY_CODES.has(code)) {
    detail = 'policy';
    summary = `Notifs closed the connection for a policy reason (code ${code}: authorisation, subscription or tenant policy).`;
  }
  const quiet = f.quietBeforeClose.c2s;
  const failedAfter = f.fails.filter((e) => e.ts > closes[0].ts).length;
  if (failedAfter >= 2) {
    contradictions.push(
      `${failedAfter} reconnect attempts failed afterwards: that, not the close, kept the desktop down`,
    );
    base = Math.min(base, 0.45);
  }
  if (!detail && closes.some((c) => saysSilence(f, c))) {
    contradictions.push(
      'Notifs says it closed for silence: it heard nothing from the desktop for the silence timeout; the close is its reaction, not the cause',
    );
    base = 0.3;
  } else if (!detail && quiet.ms >= 0.75 * f.opts.silenceMs) {
    contradictions.push(
      `the desktop had been silent for ${formatDuration(quiet.ms)} before (per ${quiet.source}): the close is the server's reaction, not the cause`,
    );
    base = 0.3;
  }
  return { cause: 'closed-by-server', domain, detail, summary, base, evidence, contradictions };
};

/** Close started by the desktop (close frame, FIN or RST from the PC). */
export const ruleClosedByDesktop: Rule = (f) => {
  const closes = starterCloses(f).filter((c) => closeBy(f, c) === 'desktop');
  if (!closes.length) return null;
  const evidence = closes.map((c) => item(c.source, c.ts, `${kindOf(f, c.source)}: ${closeFact(c)}`));
  const contradictions: string[] = [];
  let base = 0.6;
  const quiet = f.quietBeforeClose.s2c;
  const code = closes.map((c) => knownCode(f, c)).find((x) => x !== undefined);
  if (code === CODE_SILENCE || code === CODE_SLEEP) {
    contradictions.push(
      code === CODE_SILENCE
        ? `close code ${CODE_SILENCE}: the desktop heard nothing from Notifs for the silence timeout and replaced the connection`
        : `close code ${CODE_SLEEP}: the desktop replaced the connection after detecting sleep`,
    );
    base = 0.3;
  } else if (quiet.ms >= 0.75 * f.opts.silenceMs) {
    contradictions.push(
      `Notifs had been silent for ${formatDuration(quiet.ms)} before (per ${quiet.source}): the desktop gave up on a dead connection`,
    );
    base = 0.3;
  }
  return {
    cause: 'closed-by-desktop',
    domain: 'desktop',
    summary: 'The desktop closed the connection itself.',
    base,
    evidence,
    contradictions,
  };
};

/** How a healthy session ends: RFC 6455 normal closure and going away (tab closed, signed out, reloaded). */
const NORMAL_END_CODES = new Set([1000, 1001]);

export interface SessionEnd {
  source: string;
  conn?: string;
  ts: number;
  by: 'desktop';
  code?: number;
  summary: string;
}

/**
 * A normal session end, not an incident: the desktop closed (1000/1001, a plain close frame, or a FIN) with no
 * silence before it in either direction, nothing failing, and no reconnect after. Every healthy recording ends so.
 */
export function sessionEnd(f: IncidentFacts): SessionEnd | null {
  const { triggers } = f.incident;
  if (triggers.some((t) => t.kind !== 'close' && t.kind !== 'silence')) return null;
  if (f.fails.length || f.multilogin || f.incident.resumedAt !== undefined) return null;
  const starters = starterCloses(f);
  if (!starters.length || starters.some((c) => closeBy(f, c) !== 'desktop')) return null;
  const first = starters[0];
  const code = starters.map(closeCode).find((x) => x !== undefined);
  const plain = starters.every(
    (c) => c.kind === 'ws-control' || (c.kind === 'conn-close' && (c.how === 'ws-close' || c.how === 'fin')),
  );
  if (!plain || (code !== undefined && !NORMAL_END_CODES.has(code))) return null;
  // Quiet that began with the close is its effect; quiet before it would be a reason to close.
  const grace = 1.5 * f.opts.keepaliveMs;
  if (f.silences.some((s) => s.from < first.ts - grace)) return null;
  if (f.quietBeforeClose.c2s.ms >= 0.75 * f.opts.silenceMs || f.quietBeforeClose.s2c.ms >= 0.75 * f.opts.silenceMs)
    return null;
  return {
    source: first.source,
    ...(first.conn ? { conn: first.conn } : {}),
    ts: first.ts,
    by: 'desktop',
    ...(code !== undefined ? { code } : {}),
    summary: `the desktop ended the session normally (${closeFact(first)}) after a healthy connection, and did not reconnect: not an incident`,
  };
}
