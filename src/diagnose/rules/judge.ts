// The judge: runs every rule on one incident's facts, calibrates each candidate's confidence in one place and picks
import type { IncidentFacts } from '../analyses.ts';
import type { Cause, Domain, Step, Verdict } from '../model.ts';
import { missingFor, nextStepsFor, type StepContext } from '../next-steps.ts';
import type { Candidate, Rule } from './candidate.ts';
import { ruleClosedByDesktop, ruleClosedByServer } from './closes.ts';
import { ruleDesktopStopped } from './desktop.ts';
import { ruleDelayed, ruleInboundLoss, ruleOutboundLoss, rulePathBlackhole, ruleReordered } from './loss.ts';
import { ruleConnectFailure, ruleUnknown } from './reconnects.ts';
import { ruleResetByMiddlebox, ruleResetByServer } from './resets.ts';
import { ruleServerStalled } from './server.ts';

// the verdict. Independent sources agreeing raise confidence, a single source caps it at 0.7, contradictions lower it.
const MAX_EVIDENCE = 14;

/** In tie order: the more specific and the desktop-first (seed step 3a) rules win ties. */
export const RULES: { name: string; rule: Rule }[] = [
  { name: 'reset-by-middlebox', rule: ruleResetByMiddlebox },
  { name: 'reset-by-server', rule: ruleResetByServer },
  { name: 'closed-by-server', rule: ruleClosedByServer },
  { name: 'closed-by-desktop', rule: ruleClosedByDesktop },
  { name: 'desktop-stopped', rule: ruleDesktopStopped },
  { name: 'outbound-loss', rule: ruleOutboundLoss },
  { name: 'path-blackhole', rule: rulePathBlackhole },
  { name: 'server-stalled', rule: ruleServerStalled },
  { name: 'inbound-loss', rule: ruleInboundLoss },
  { name: 'delayed', rule: ruleDelayed },
  { name: 'reordered', rule: ruleReordered },
  { name: 'connect-failure', rule: ruleConnectFailure },
  { name: 'unknown', rule: ruleUnknown },
];

/**
 * Confidence: base + 0.1 per extra independent source, capped at 0.7 with one source and 0.95 with several,
 * minus 0.15 per contradiction. Never above 0.8 on thin evidence (one source, or fewer than two facts).
 */
export function calibrate(c: Candidate): number {
  const sources = new Set(c.evidence.map((e) => e.source)).size;
  let conf = c.base + 0.1 * Math.max(0, sources - 1);
  conf = Math.min(conf, sources >= 2 ? 0.95 : 0.7);
  if (c.evidence.length < 2) conf = Math.min(conf, 0.6);
  conf -= 0.15 * c.contradictions.length;
  return Math.round(Math.max(0.05, Math.min(0.95, conf)) * 100) / 100;
}

/** On connections only taken as Notifs for want of any other (find-notifs' fallback), verdicts stay tentative. */
const NOT_NOTIFS_MAX_CONFIDENCE = 0.3;
const NOT_NOTIFS_STEP =
  'No connection in this evidence was recognised as Notifs (host, address, WxCC/Lifeline messages or keepalive rhythm): check that it covers the Agent Desktop socket, or name Notifs with --dc, --host or --ip.';
/** Advice that only makes sense about the real Notifs: never given about unrelated traffic. */
const BACKEND_ADVICE = /backend ticket|status page|Webex Contact Center/i;

/** Every file behind this incident's triggers analysed only fallback connections (nothing recognised as Notifs). */
function notNotifs(f: IncidentFacts): boolean {
  return f.incident.triggers.every((t) => {
    const conns = f.sources.get(t.source)?.notifsConns ?? [];
    return conns.length > 0 && conns.every((c) => c.why === 'fallback');
  });
}

export interface Judgement {
  verdict: Verdict;
  considered: { cause: Cause; domain: Domain; confidence: number; summary: string }[];
}

export function judge(f: IncidentFacts, ctx: StepContext, present: Set<Step>): Judgement {
  const scored: { c: Candidate; conf: number; order: number }[] = [];
  RULES.forEach(({ rule }, order) => {
    const c = rule(f);
    if (c) scored.push({ c, conf: calibrate(c), order });
  });
  scored.sort((a, b) => b.conf - a.conf || a.order - b.order);
  const best = scored[0];
  const c = best.c;
  const foreign = notNotifs(f);
  const evidence = [...c.evidence].sort((a, b) => a.ts - b.ts);
  const verdict: Verdict = {
    domain: c.domain,
    cause: c.cause,
    ...(c.detail ? { detail: c.detail } : {}),
    summary: foreign ? `Not recognised as Notifs — ${c.summary}` : c.summary,
    confidence: foreign ? Math.min(best.conf, NOT_NOTIFS_MAX_CONFIDENCE) : best.conf,
    evidence:
      evidence.length > MAX_EVIDENCE
        ? [...evidence.slice(0, MAX_EVIDENCE - 1), evidence[evidence.length - 1]]
        : evidence,
    contradictions: c.contradictions,
    missing: missingFor(c.cause, present),
    nextSteps: foreign
      ? [NOT_NOTIFS_STEP, ...nextStepsFor(c.cause, ctx, c.detail).filter((s) => !BACKEND_ADVICE.test(s))]
      : nextStepsFor(c.cause, ctx, c.detail),
  };
  const considered = scored
    .slice(1)
    .filter((s) => s.c.cause !== 'unknown' && s.c.cause !== c.cause)
    .map((s) => ({ cause: s.c.cause, domain: s.c.domain, confidence: s.conf, summary: s.c.summary }));
  return { verdict, considered };
}
