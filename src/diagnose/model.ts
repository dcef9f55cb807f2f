// Types shared by the troubleshooter's layers (timeline → incidents → analyses → verdicts → reports).
// The verdict vocabulary is fixed by the product brief: `diagnose --json` uses exactly these codes.
import { WXCC_TIMERS } from '../protocol/wxcc.ts';

export type Domain = 'desktop' | 'network' | 'backend' | 'unknown';

export const CAUSES = [
  'desktop-throttled',
  'desktop-asleep',
  'desktop-stalled',
  'inbound-loss',
  'outbound-loss',
  'path-blackhole',
  'delayed',
  'reordered',
  'reset-by-middlebox',
  'reset-by-server',
  'closed-by-server',
  'closed-by-desktop',
  'connect-failure',
  'server-stalled',
  'unknown',
] as const;
export type Cause = (typeof CAUSES)[number];

export type OutcomeStatus = 'recovered' | 'lost' | 'ongoing';
export interface Outcome {
  status: OutcomeStatus;
  /** Time from the last proof of life (or the close) to messages flowing again; set when status is `recovered`. */
  recoveredAfterMs?: number;
  /** Set when messages flowed again but only after the recovery timeout (status `lost`). */
  resumedAfterMs?: number;
}

/** The seed's steps that produce evidence: 1 error report, 4 DevTools WS log / HAR, 5 nslookup, 6 PC capture, 7 device logs. */
export type Step = 1 | 4 | 5 | 6 | 7;

export interface EvidenceItem {
  source: string;
  /** Reference clock, epoch ms. */
  ts: number;
  fact: string;
}

export interface MissingEvidence {
  step: Step;
  what: string;
}

export interface Verdict {
  domain: Domain;
  cause: Cause;
  /** Refinement of the cause, e.g. 'multi-login', 'policy', 'offline'. */
  detail?: string;
  /** One sentence: why this verdict. */
  summary: string;
  confidence: number;
  evidence: EvidenceItem[];
  /** Things that speak against this verdict (they lower the confidence). */
  contradictions: string[];
  missing: MissingEvidence[];
  nextSteps: string[];
}

export interface DiagnoseOptions {
  /** Silence (no message in a direction) that starts recovery; seed step 2: 16 s. */
  silenceMs: number;
  /** Desktop Lost Connection Recovery Timeout; default 50 s. */
  recoveryMs: number;
  /** Keepalive period; seed step 2: 4 s. */
  keepaliveMs: number;
  /** Data centre (us1, eu1, …): Notifs is api.wxcc-<dc>.cisco.com. */
  dc?: string;
  host?: string;
  ip?: string;
}

export const DEFAULT_OPTIONS: DiagnoseOptions = { ...WXCC_TIMERS };
