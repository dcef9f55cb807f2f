// Verdict rules: one function per cause, each reading the facts of one incident (analyses.ts) and returning a
// candidate with its evidence, or null. docs/diagnose.md lists each rule with the evidence it needs.
// Confidence is calibrated in one place (calibrate): independent sources agreeing raise it, a single source caps
// it at 0.7, contradictions lower it.

import { APP_KINDS, type IncidentFacts, type WindowCounts, type WireFacts } from './analyses.ts';
import { formatDuration } from './duration.ts';
import { dirWords, type Trigger } from './incidents.ts';
import type { Cause, Domain, EvidenceItem, Step, Verdict } from './model.ts';
import { missingFor, nextStepsFor, type StepContext } from './next-steps.ts';
import type { AlignedEvent } from './timeline.ts';

export interface Candidate {
  cause: Cause;
  domain: Domain;
  detail?: string;
  summary: string;
  /** Strength of the reasoning before counting sources (0..1). */
  base: number;
  evidence: EvidenceItem[];
  contradictions: string[];
}

export type Rule = (f: IncidentFacts) => Candidate | null;

const MAX_EVIDENCE = 14;

// ---------------------------------------------------------------- helpers
function item(source: string, ts: number, fact: string): EvidenceItem {
  return { source, ts, fact };
}
function fromTrigger(t: Trigger, prefix = ''): EvidenceItem {
  return item(t.source, t.from, prefix + t.fact);
}
function fromWire(w: WireFacts, fact: string): EvidenceItem {
  return item(w.source, w.from, fact);
}
/** First and last few of a long list. */
function ends<T>(arr: T[], n = 2): T[] {
  return arr.length <= 2 * n ? arr : [...arr.slice(0, n), ...arr.slice(-n)];
}
function kindOf(f: IncidentFacts, source: string): string {
  return f.sources.get(source)?.kind ?? 'evidence';
}
/** The server side answered at TCP level: it ACKed every desktop byte sent in the window, or pinged. */
function tcpAlive(d: WindowCounts): boolean {
  return (d.s2cAcks > 0 && !d.c2sUnacked) || d.s2cPings > 0;
}
/**
 * The loss began desktop → Notifs: while the desktop's messages had stopped (or were retransmitted unACKed),
 * Notifs' messages still arrived and the desktop's bytes stayed unacknowledged.
 */
function c2sLossFirst(w: WireFacts): boolean {
  const d = w.duringC2sSilence;
  return !!d && d.s2cMessages > 0 && d.c2sUnacked && d.s2cAcks === 0 && w.c2sRetrans > 0;
}
/** Captures where, during the Notifs → desktop silence, the desktop kept sending but nothing at all came back. */
function deadBothWays(f: IncidentFacts): WireFacts[] {
  return f.wire.filter((w) => {
    const d = w.duringS2cSilence;
    return !!d && w.c2sRetrans > 0 && d.c2sUnacked && d.s2cAcks === 0 && d.s2cData === 0 && d.s2cPings === 0;
  });
}
/** The desktop kept sending on this wire: messages (or TLS records) or retransmissions — not just a close frame. */
function desktopSending(w: WireFacts): boolean {
  return w.c2sMessages > 0 || w.c2sRetrans > 0;
}
/** Close codes only Notifs sends: a desktop close frame carrying one is the desktop echoing the server's close. */
const SERVER_ONLY_CODES = new Set([4001, 4002, 4003, 4008, 4401, 4403, 4409]);

function closeBy(e: AlignedEvent): 'desktop' | 'server' | 'middlebox' | 'unknown' {
  const code = e.kind === 'conn-close' ? e.wsCode : e.kind === 'ws-control' ? e.code : undefined;
  const by =
    e.kind === 'conn-close'
      ? (e.by ?? 'unknown')
      : e.kind === 'ws-control'
        ? e.dir === 'c2s'
          ? 'desktop'
          : 'server'
        : 'unknown';
  if (by === 'desktop' && code !== undefined && SERVER_ONLY_CODES.has(code)) return 'server';
  return by;
}
function ttlMismatch(e: AlignedEvent): boolean {
  return (
    e.kind === 'conn-close' &&
    ((e.ttl !== undefined && e.expectedTtl !== undefined && Math.abs(e.ttl - e.expectedTtl) > 1) || e.ipIdJump === true)
  );
}
/** Chrome's intensive throttling batches wake-ups to whole minutes, ordinary hidden-tab throttling to whole seconds. */
function driftWords(lateMs: number, actualMs: number): string {
  const nearMinute = actualMs >= 55_000 && Math.abs(actualMs / 60_000 - Math.round(actualMs / 60_000)) < 0.05;
  if (nearMinute) return ' — aligned to a minute: Chrome intensive wake-up throttling (1 wake-up per minute)';
  if (lateMs >= 900 && Math.abs(actualMs / 1000 - Math.round(actualMs / 1000)) < 0.05)
    return ' — aligned to a second: hidden-tab timer throttling';
  return '';
}

/**
 * Closes that count as "who started it": per file and connection, the first close seen (a close frame, or the
 * TCP FIN/RST/error when no frame was seen). The other side's echo frame and the FINs after a close handshake are
 * its consequences.
 */
function starterCloses(f: IncidentFacts): AlignedEvent[] {
  const first = new Map<string, number>();
  const out: AlignedEvent[] = [];
  for (const c of f.closes) {
    const k = `${c.source}|${c.conn ?? ''}`;
    const t = first.get(k);
    if (t === undefined) first.set(k, c.ts);
    else if (c.ts - t > 5) continue; // same instant: the frame and its conn-close event
    out.push(c);
  }
  return out;
}

/** Lifeline/WxCC close codes the rules read (src/protocol/close-codes.ts). */
const CODE_SILENCE = 4000;
const CODE_SLEEP = 4010;
const CODE_MULTI_LOGIN = 4409;
const POLICY_CODES = new Set([1008, 4401, 4403]);

function closeCode(c: AlignedEvent): number | undefined {
  return c.kind === 'conn-close' ? c.wsCode : c.kind === 'ws-control' ? c.code : undefined;
}

/**
 * Notifs closed for silence (4000: it heard nothing from the desktop) although, within the silence timeout before
 * that close, the desktop sent (page log or capture) and Notifs itself was still sending to the desktop. Notifs
 * was alive and talking; the desktop's messages were lost on the way to it. Any Notifs → desktop silence that
 * follows is the close, not a loss.
 */
interface SilenceClose {
  close: AlignedEvent;
  desktopSent: AlignedEvent[];
  serverSent: AlignedEvent[];
}
function silenceClosesWhileTalking(f: IncidentFacts): SilenceClose[] {
  const margin = Math.min(500, f.opts.keepaliveMs / 4);
  const inWindow = (m: AlignedEvent, c: AlignedEvent, dir: 'c2s' | 's2c') =>
    'dir' in m && m.dir === dir && m.ts < c.ts - margin && m.ts > c.ts - f.opts.silenceMs + margin;
  const out: SilenceClose[] = [];
  for (const close of starterCloses(f)) {
    if (closeBy(close) !== 'server' || closeCode(close) !== CODE_SILENCE) continue;
    const all = [...f.appMessages, ...f.wireMessages];
    const desktopSent = all.filter((m) => inWindow(m, close, 'c2s'));
    const serverSent = all.filter((m) => inWindow(m, close, 's2c'));
    if (desktopSent.length && serverSent.length) out.push({ close, desktopSent, serverSent });
  }
  return out;
}

function closeFact(c: AlignedEvent): string {
  if (c.kind === 'conn-close')
    return (
      `${c.how === 'ws-close' ? 'WebSocket close' : c.how === 'rst' ? 'TCP RST' : c.how === 'fin' ? 'TCP FIN' : `connection ${c.how}`}` +
      ` by ${c.by ?? 'unknown'}` +
      (c.wsCode !== undefined ? `, code ${c.wsCode}` : '') +
      (c.reason ? `, reason "${c.reason}"` : '') +
      (c.ttl !== undefined
        ? `, TTL ${c.ttl}${c.expectedTtl !== undefined ? ` (server's packets: ${c.expectedTtl})` : ''}`
        : '') +
      (c.ipIdJump ? ", IP ID out of the sender's sequence" : '')
    );
  if (c.kind === 'ws-control')
    return `WebSocket close frame ${dirWords(c.dir)}${c.code !== undefined ? `, code ${c.code}` : ''}${c.reason ? `, reason "${c.reason}"` : ''}`;
  return c.kind;
}

// ---------------------------------------------------------------- desktop
/** Desktop stopped sending: throttled (drift/hidden/freeze), asleep (wall-clock jump), or stalled (no reason seen). */
export const ruleDesktopStopped: Rule = (f) => {
  const { silenceMs } = f.opts;
  if (f.appDuringWireSilence.c2s.length > 0) return null; // the page did send: see outbound-loss
  const wireQuiet = f.wireSilent.c2s.filter((s) => {
    const w = f.wire.find((x) => x.source === s.source);
    return !w || !desktopSending(w);
  });
  const appQuiet = f.appSilent.c2s;
  if (appQuiet.length === 0 && wireQuiet.length === 0) return null;
  // The desktop cannot send on a connection that just ended: a silence that began with the close is its effect.
  const quietFrom = Math.min(...[...appQuiet, ...wireQuiet].map((s) => s.from));
  const firstClose = f.closes[0]?.ts;
  if (firstClose !== undefined && firstClose >= quietFrom && firstClose - quietFrom < 1.5 * f.opts.keepaliveMs)
    return null;
  const evidence: EvidenceItem[] = [];
  const contradictions: string[] = [];
  for (const s of appQuiet)
    evidence.push(
      item(
        s.source,
        s.from,
        `${kindOf(f, s.source)}: the desktop sent nothing for ${formatDuration(s.to - s.from)}${s.tail ? ' (until the evidence ends)' : ''}`,
      ),
    );
  for (const s of wireQuiet)
    evidence.push(
      item(
        s.source,
        s.from,
        `capture: no desktop → Notifs data on the wire for ${formatDuration(s.to - s.from)}, not even a retransmission`,
      ),
    );
  const onWire = f.wireDuringAppSilence.c2s;
  if (onWire.length)
    contradictions.push(
      `${onWire[0].source} shows ${onWire.length} desktop → Notifs message(s) on the wire while the desktop's own log shows no send`,
    );

  // Notifs kept talking while the desktop was quiet: the server and the path were alive.
  for (const w of f.wire)
    if (wireQuiet.some((s) => s.source === w.source) && (w.duringC2sSilence?.s2cMessages ?? 0) > 0)
      evidence.push(
        fromWire(
          w,
          `capture: ${w.duringC2sSilence!.s2cMessages} Notifs → desktop message(s) arrived on time meanwhile`,
        ),
      );
  const recv = f.appOtherDirDuringSilence.c2s;
  if (recv.length)
    evidence.push(
      item(
        recv[0].source,
        recv[0].ts,
        `${kindOf(f, recv[0].source)}: ${recv.length} Notifs message(s) received while the desktop sent nothing`,
      ),
    );

  const sleep = [
    ...f.drift
      .filter((d) => Math.abs(d.wallJumpMs) >= 5000)
      .map((d) =>
        item(
          d.source,
          d.ts,
          `wall clock jumped ${formatDuration(d.wallJumpMs)} against the monotonic clock: the PC slept`,
        ),
      ),
    ...f.lifecycle
      .filter((l) => l.what === 'sleep-detected')
      .map((l) => item(l.source, l.ts, 'the desktop detected a system sleep')),
    ...f.closes
      .filter((c) => closeCode(c) === CODE_SLEEP)
      .map((c) =>
        item(c.source, c.ts, `the desktop closed with code ${CODE_SLEEP}: it detected a wall-clock jump (sleep)`),
      ),
  ];
  const throttle = [
    ...f.drift
      .filter((d) => d.lateMs >= 1000 && Math.abs(d.wallJumpMs) < 5000)
      .map((d) =>
        item(
          d.source,
          d.ts,
          `${d.timer} timer fired ${formatDuration(d.lateMs)} late (expected ${formatDuration(d.expectedMs)}, took ${formatDuration(d.actualMs)})${driftWords(d.lateMs, d.actualMs)}`,
        ),
      ),
    ...f.lifecycle
      .filter((l) => l.what === 'freeze' || l.what === 'discarded' || l.what === 'hidden')
      .map((l) =>
        item(
          l.source,
          l.ts,
          l.what === 'hidden'
            ? 'the desktop tab was hidden'
            : l.what === 'freeze'
              ? 'the browser froze the desktop page'
              : 'the browser discarded the desktop page (Memory Saver)',
        ),
      ),
  ];
  if (f.hiddenAtStart && !throttle.some((t) => t.ts === f.hiddenAtStart!.ts))
    throttle.push(
      item(
        f.hiddenAtStart.source,
        f.hiddenAtStart.ts,
        'the desktop tab was hidden (and not visible again) when the silence began',
      ),
    );
  // Everything received at once after a gap in which the page also sent nothing: the page was frozen.
  for (const b of f.bursts.filter((b) => APP_KINDS.includes(b.sourceKind) && pageSilentOver(f, b)))
    throttle.push(
      item(
        b.source,
        b.to,
        `${kindOf(f, b.source)}: ${b.fact}, while the page sent nothing — a frozen page catching up`,
      ),
    );
  // Received late by the page but on time on the wire: the page's JavaScript was not running.
  for (const b of f.bursts.filter((b) => APP_KINDS.includes(b.sourceKind)))
    if (f.wire.some((w) => w.s2cMessages > 0 && b.from >= w.from - 1000 && b.to <= w.to + 1000))
      throttle.push(fromTrigger(b, `${kindOf(f, b.source)}: `));

  // The wire delivered Notifs messages the page never logged: the page's JavaScript was not running.
  const unprocessed = f.wireDuringAppSilence.s2c;
  if (unprocessed.length && appQuiet.length)
    throttle.push(
      item(
        unprocessed[0].source,
        unprocessed[0].ts,
        `capture: ${unprocessed.length} Notifs message(s) reached the PC on time while the page logged none (its JavaScript was not running)`,
      ),
    );
  const serverTalked =
    unprocessed.length > 0 ||
    f.bursts.some((b) => APP_KINDS.includes(b.sourceKind) && pageSilentOver(f, b)) ||
    recv.length > 0 ||
    f.wire.some((w) => wireQuiet.some((s) => s.source === w.source) && (w.duringC2sSilence?.s2cMessages ?? 0) > 0);
  const bothDead =
    !serverTalked && f.firstSilentDir !== 'c2s' && (f.appSilent.s2c.length > 0 || f.wireSilent.s2c.length > 0);
  // Intensive throttling lets a hidden tab's timers run once a minute: a send silence of a whole minute.
  const minuteGaps = [...appQuiet, ...wireQuiet]
    .filter((s) => !s.tail && s.to - s.from >= 55_000)
    .filter((s) => {
      const g = s.to - s.from;
      return Math.abs(g - Math.round(g / 60_000) * 60_000) <= 1500;
    })
    .map((s) =>
      item(
        s.source,
        s.to,
        `${kindOf(f, s.source)}: the desktop's sends resumed after ${formatDuration(s.to - s.from)} — a whole minute`,
      ),
    );
  let cause: Cause;
  let summary: string;
  let base: number;
  if (sleep.length) {
    cause = 'desktop-asleep';
    summary = 'The desktop stopped sending keepalives because the PC slept.';
    evidence.push(...sleep);
    base = 0.65;
  } else if (throttle.length) {
    cause = 'desktop-throttled';
    summary = 'The desktop stopped sending keepalives while its tab was throttled/frozen by the browser.';
    evidence.push(...throttle);
    base = 0.6;
  } else if (minuteGaps.length) {
    // Weaker: only the timing says so (the gap is a whole minute), nothing from the desktop itself.
    cause = 'desktop-throttled';
    summary =
      'The desktop stopped sending keepalives and resumed after a whole minute: the signature of Chrome’s intensive wake-up throttling of hidden tabs.';
    evidence.push(...minuteGaps);
    base = 0.55;
  } else {
    cause = 'desktop-stalled';
    summary = 'The desktop stopped sending keepalives; nothing in the evidence shows why.';
    base = 0.5;
  }
  if (bothDead && !sleep.length) {
    contradictions.push('both directions went quiet together, which a dead path explains as well');
    base -= 0.15;
  }
  const gap = Math.max(...[...appQuiet, ...wireQuiet].map((s) => s.to - s.from));
  if (gap < silenceMs) base -= 0.1;
  return { cause, domain: 'desktop', summary, base, evidence, contradictions };
};

// ---------------------------------------------------------------- network
/** Desktop sent, but its messages never reached the wire, or were never ACKed while the server kept sending. */
export const ruleOutboundLoss: Rule = (f) => {
  const sentNotOnWire = f.appDuringWireSilence.c2s;
  // Notifs kept talking while the desktop's data went unanswered (after the grace period, when a c2s silence exists).
  const serverAlive = (w: WireFacts) =>
    w.duringC2sSilence
      ? w.duringC2sSilence.s2cMessages > 0 || w.duringC2sSilence.s2cData > 0
      : w.s2cData > 0 || w.s2cMessages > 0;
  const unacked = f.wire.filter(
    (w) =>
      ((w.c2sRetrans > 0 || (w.c2sUnacked && w.s2cAcks === 0 && w.c2sData > 0)) && serverAlive(w)) || c2sLossFirst(w),
  );
  const wiresAlive = f.wire.some(serverAlive);
  // The server closed for silence (4000) although the page shows keepalives sent within the silence timeout.
  const heardNothing = starterCloses(f).filter((c) => closeBy(c) === 'server' && closeCode(c) === CODE_SILENCE);
  const margin = Math.min(500, f.opts.keepaliveMs / 4);
  const within = (m: AlignedEvent, c: AlignedEvent) =>
    'dir' in m && m.dir === 'c2s' && m.ts < c.ts - margin && m.ts > c.ts - f.opts.silenceMs + margin;
  const sentBefore = heardNothing.flatMap((c) => f.appMessages.filter((m) => within(m, c)));
  // Messages the capture saw leave the PC count too: they were lost between the capture point and Notifs.
  const wireSentBefore = heardNothing.flatMap((c) => f.wireMessages.filter((m) => within(m, c)));
  const closeContradicted = heardNothing.length > 0 && (sentBefore.length > 0 || wireSentBefore.length > 0);
  if (!unacked.length && !(sentNotOnWire.length && (wiresAlive || f.wire.length === 0)) && !closeContradicted)
    return null;
  const evidence: EvidenceItem[] = [];
  const contradictions: string[] = [];
  let base = 0.6;
  // Notifs was still talking when it closed for silence: the strongest one-way sign short of a server-side capture.
  const talking = silenceClosesWhileTalking(f);
  const sourcesDisagree = f.wireDuringAppSilence.c2s.length > 0 && f.appSilent.c2s.length > 0;
  if (sourcesDisagree)
    contradictions.push(
      "the desktop's own log shows no send while the capture shows its messages: the two sources disagree about what the desktop sent",
    );
  if (closeContradicted) {
    if (!unacked.length && !sentNotOnWire.length) base = 0.55;
    // Not when the page's own log denies the sends the capture shows (a frozen page, not a lost keepalive).
    if (talking.length && !sourcesDisagree) base = 0.7;
    for (const t of talking) {
      const last = t.serverSent[t.serverSent.length - 1];
      evidence.push(
        item(
          last.source,
          last.ts,
          `${kindOf(f, last.source)}: Notifs kept sending to the desktop until it closed (${t.serverSent.length} message(s) in the silence timeout before its close)`,
        ),
      );
    }
    for (const c of heardNothing)
      evidence.push(
        item(
          c.source,
          c.ts,
          `${kindOf(f, c.source)}: Notifs closed with code ${CODE_SILENCE} (heard nothing from the desktop for the silence timeout)`,
        ),
      );
    evidence.push(
      ...ends(wireSentBefore).map((m) =>
        item(
          m.source,
          m.ts,
          `capture: yet the desktop's ${m.kind === 'ws-message' ? m.cls : 'record'} left the PC within that time`,
        ),
      ),
    );
    evidence.push(
      ...ends(sentBefore).map((m) =>
        item(
          m.source,
          m.ts,
          `${kindOf(f, m.source)}: yet the desktop sent a ${m.cls} message (${m.length} B) within that time`,
        ),
      ),
    );
  }
  if (sentNotOnWire.length) {
    evidence.push(
      ...ends(sentNotOnWire).map((m) =>
        item(
          m.source,
          m.ts,
          `${kindOf(f, m.source)}: desktop sent a ${m.cls} message (${m.length} B) that no capture shows on the wire`,
        ),
      ),
    );
    for (const s of f.wireSilent.c2s) evidence.push(fromTrigger(s, 'capture: '));
    for (const m of sentNotOnWire)
      if (f.sources.get(m.source)?.alignment.clockUncertain) {
        contradictions.push(
          `${m.source}'s clock offset is uncertain; the sends may fall outside the capture's silence`,
        );
        break;
      }
  }
  for (const w of unacked)
    evidence.push(
      fromWire(
        w,
        `capture: ${w.c2sRetrans} desktop → Notifs retransmission(s); the server never ACKed the desktop's data, yet it kept sending (${w.s2cData} segment(s))`,
      ),
    );
  return {
    cause: 'outbound-loss',
    domain: 'network',
    summary:
      'The desktop sent its keepalives but they did not reach Notifs (lost between the browser and the server).' +
      (f.wire.length ? '' : ' No capture shows where they were lost (step 6).'),
    base,
    evidence,
    contradictions,
  };
};

/** Both directions dead at the TCP level while both ends were live (retransmissions both ways; or the PC went offline). */
export const rulePathBlackhole: Rule = (f) => {
  const evidence: EvidenceItem[] = [];
  const contradictions: string[] = [];
  let detail: string | undefined;
  let base = 0;
  const c2sRe = f.wire.filter((w) => w.c2sRetrans > 0);
  const s2cRe = f.wire.filter((w) => w.s2cRetrans > 0);
  const desktopSent = f.appDuringWireSilence.c2s.length > 0 || f.appOtherDirDuringSilence.s2c.length > 0;
  const wireDead = f.wire.length > 0 && f.wire.every((w) => w.s2cData === 0 && w.s2cAcks === 0 && w.c2sMessages === 0);
  // Two vantage points: one capture shows the desktop sending, another (nearer the server) never gets it, while
  // nothing from the server reaches the PC either.
  const dead = deadBothWays(f);
  const keptSendingReceivedNothing = () => {
    const sent = f.appOtherDirDuringSilence.s2c;
    if (sent.length)
      evidence.push(
        item(
          sent[0].source,
          sent[0].ts,
          `${kindOf(f, sent[0].source)}: the desktop kept sending (${sent.length} message(s)) and received nothing`,
        ),
      );
  };
  const c2sLost = c2sLostBetweenCaptures(f);
  if (c2sLost && f.wire.some((w) => f.wireSilent.s2c.some((s) => s.source === w.source) && w.s2cData === 0)) {
    base = 0.65;
    evidence.push(...c2sLost);
    keptSendingReceivedNothing();
    for (const w of s2cRe)
      evidence.push(fromWire(w, `capture: ${w.s2cRetrans} Notifs → desktop retransmission(s): the server kept trying`));
    for (const w of c2sRe)
      evidence.push(
        fromWire(w, `capture: ${w.c2sRetrans} desktop → Notifs retransmission(s): the desktop kept trying`),
      );
  } else if (dead.length) {
    // Nothing came back, not even an ACK for the desktop's own (retransmitted) data: both directions dead at TCP
    // level. (A return path that drops ACKs too looks the same; a capture near the server tells.)
    base = 0.6;
    for (const w of dead)
      evidence.push(
        fromWire(
          w,
          `capture: the desktop's data went unACKed (${w.c2sRetrans} retransmission(s)) and nothing came back from Notifs`,
        ),
      );
    keptSendingReceivedNothing();
  } else if (c2sRe.length && s2cRe.length) {
    base = 0.5;
    for (const w of c2sRe) evidence.push(fromWire(w, `capture: ${w.c2sRetrans} desktop → Notifs retransmission(s)`));
    for (const w of s2cRe) evidence.push(fromWire(w, `capture: ${w.s2cRetrans} Notifs → desktop retransmission(s)`));
    contradictions.push(
      'retransmissions both ways also happen when only one direction is lost (its ACKs vanish with it); a capture near the server tells',
    );
  } else if (desktopSent && wireDead && (f.wireSilent.c2s.length || f.wireSilent.s2c.length)) {
    base = 0.6;
    for (const m of ends([...f.appDuringWireSilence.c2s, ...f.appOtherDirDuringSilence.s2c]))
      evidence.push(item(m.source, m.ts, `${kindOf(f, m.source)}: the desktop kept sending (${m.cls})`));
    for (const w of f.wire)
      evidence.push(
        fromWire(w, `capture: nothing from Notifs, no new desktop data delivered (${w.c2sRetrans} retransmission(s))`),
      );
  }
  if (!base && f.fails.length && f.appOtherDirDuringSilence.s2c.length && f.wireSilent.s2c.length) {
    // Nothing came back and new connections failed too: the desktop side cannot tell whether its own messages
    // got through (a TCP-terminating proxy ACKs them either way); a capture near the server can.
    base = 0.45;
    evidence.push(
      ...ends(f.fails, 1).map((e) =>
        item(e.source, e.ts, `${kindOf(f, e.source)}: a new connection failed too (${e.stage}: ${e.error})`),
      ),
    );
    contradictions.push('only the desktop side was observed: a one-way (inbound) loss looks the same from there');
  }
  if (f.offline.length) {
    base = Math.max(base, 0.55);
    detail = 'offline';
    for (const o of f.offline)
      evidence.push(
        item(
          o.source,
          o.ts,
          o.kind === 'network-change' ? `network changed: ${o.what} (offline)` : 'the browser reported the PC offline',
        ),
      );
  }
  if (base === 0) return null;
  for (const d of f.devices.filter((d) => d.action === 'deny'))
    evidence.push(item(d.source, d.ts, `device dropped a packet: ${d.reason ?? d.raw.slice(0, 160)}`));
  return {
    cause: 'path-blackhole',
    domain: 'network',
    detail,
    summary:
      detail === 'offline'
        ? 'The PC lost its network: both directions stopped.'
        : 'Both directions died on the path while both ends were still trying (black hole).',
    base,
    evidence,
    contradictions,
  };
};

/** A capture saw desktop data in the window while another capture saw no desktop data at all: lost in between. */
function c2sLostBetweenCaptures(f: IncidentFacts): EvidenceItem[] | undefined {
  const sending = f.wire.filter(desktopSending);
  const deaf = f.wire.filter((w) => !desktopSending(w) && f.wireSilent.c2s.some((s) => s.source === w.source));
  if (!sending.length || !deaf.length) return undefined;
  return [
    ...sending.map((w) => fromWire(w, `capture: the desktop sent ${w.c2sData} segment(s) here`)),
    ...deaf.map((w) => fromWire(w, 'capture: none of them arrived here')),
  ];
}

/** Desktop kept sending; Notifs' messages stopped arriving and, at the TCP level, nothing came from the server. */
export const ruleInboundLoss: Rule = (f) => {
  const s2cSilent = [...f.appSilent.s2c, ...f.wireSilent.s2c];
  if (!s2cSilent.length) return null;
  const evidence: EvidenceItem[] = [];
  const contradictions: string[] = [];
  const appSending = f.appOtherDirDuringSilence.s2c;
  const wireWithSilence = f.wire.filter((w) => w.duringS2cSilence);
  const wireSending = wireWithSilence.filter((w) => w.duringS2cSilence!.c2sMessages > 0 || w.c2sRetrans > 0);
  if (!appSending.length && !wireSending.length && f.firstSilentDir !== 's2c') return null;
  const alive = wireWithSilence.filter((w) => tcpAlive(w.duringS2cSilence!) || w.duringS2cSilence!.s2cData > 0);
  // New connections failing too means the path is broken, whatever ACKs a TCP-terminating proxy sent.
  const reconnectsFailed = f.fails.length > 0 || f.stuckConnects.length > 0;
  if (wireWithSilence.length && alive.length === wireWithSilence.length && !reconnectsFailed) return null; // server-stalled
  for (const s of s2cSilent) evidence.push(fromTrigger(s, `${kindOf(f, s.source)}: `));
  if (appSending.length)
    evidence.push(
      item(
        appSending[0].source,
        appSending[0].ts,
        `${kindOf(f, appSending[0].source)}: the desktop kept sending (${appSending.length} message(s)) meanwhile`,
      ),
    );
  for (const w of wireSending)
    evidence.push(
      fromWire(
        w,
        alive.includes(w)
          ? `capture: the desktop kept sending on the wire (${w.duringS2cSilence!.c2sMessages} message(s)); TCP ACKs came back but no message (a TCP-terminating proxy or SSL inspection answers for the server)`
          : `capture: the desktop kept sending on the wire (${w.duringS2cSilence!.c2sMessages} message(s), ${w.c2sRetrans} retransmitted); nothing came back from the server, not even an ACK`,
      ),
    );
  let base = wireWithSilence.length ? (alive.length ? 0.55 : 0.65) : 0.55;
  if (alive.length && reconnectsFailed) {
    evidence.push(
      ...ends(f.fails, 1).map((e) =>
        item(e.source, e.ts, `${kindOf(f, e.source)}: a new connection failed too (${e.stage}: ${e.error})`),
      ),
    );
    for (const c of f.stuckConnects.slice(0, 2))
      evidence.push(item(c.source, c.ts, 'capture: a new connection opened but never got a message from Notifs'));
  }
  const caveat = wireWithSilence.length
    ? ''
    : ' Without a capture a stalled server looks the same; a PC capture (step 6) tells them apart.';
  if (deadBothWays(f).length) {
    contradictions.push(
      "the desktop's own data was not acknowledged either: both directions dead at TCP level (path-blackhole), unless the return path also dropped the ACKs",
    );
    base -= 0.15;
  }
  const lossFirst = f.wire.filter(c2sLossFirst);
  if (lossFirst.length) {
    contradictions.push(
      `${lossFirst[0].source}: Notifs kept sending after the desktop's data stopped being acknowledged — the loss began desktop → Notifs`,
    );
    base -= 0.2;
  }
  const talking = silenceClosesWhileTalking(f);
  if (talking.length) {
    contradictions.push(
      `${talking[0].close.source}: Notifs was still sending when it closed for silence (code ${CODE_SILENCE}) although the desktop had sent: the loss was desktop → Notifs, and the silence towards the desktop is the close`,
    );
    base -= 0.2;
  }
  if (f.bursts.some((b) => !afterGiveUp(f, b))) {
    contradictions.push('the silence ended with a burst of messages: they were held, not lost');
    base -= 0.2;
  }
  if (
    c2sLostBetweenCaptures(f) ||
    (f.appDuringWireSilence.c2s.length > 0 && wireWithSilence.every((w) => !desktopSending(w)))
  ) {
    contradictions.push("the desktop's own messages did not get through either: both directions were dead");
    base -= 0.3;
  }
  return {
    cause: 'inbound-loss',
    domain: 'network',
    summary: `The desktop kept sending, but Notifs' messages stopped arriving.${caveat}`,
    base,
    evidence,
    contradictions,
  };
};

/** The same app source logged no desktop send over (most of) the burst's gap. */
function pageSilentOver(f: IncidentFacts, b: Trigger): boolean {
  return f.appSilent.c2s.some(
    (s) => s.source === b.source && s.from <= b.from + f.opts.keepaliveMs && s.to >= b.to - f.opts.keepaliveMs,
  );
}

/** The desktop closed the connection between the last message before the burst and the burst itself. */
function afterGiveUp(f: IncidentFacts, b: Trigger): boolean {
  return f.closes.some((c) => c.ts > b.from && c.ts < b.to && closeBy(c) === 'desktop');
}

/** Messages late or in bursts: arrival gaps then many at once. */
export const ruleDelayed: Rule = (f) => {
  if (!f.bursts.length) return null;
  const wireBursts = f.bursts.filter((b) => b.sourceKind === 'capture');
  const appBursts = f.bursts.filter((b) => APP_KINDS.includes(b.sourceKind));
  const onTimeOnWire = f.wire.some(
    (w) => w.s2cMessages > 0 && appBursts.some((b) => b.from >= w.from - 1000 && b.to <= w.to + 1000),
  );
  if (!wireBursts.length && onTimeOnWire) return null; // the page was late, not the network
  const evidence = f.bursts.map((b) => fromTrigger(b, `${b.sourceKind}: `));
  const contradictions: string[] = [];
  let base = wireBursts.length ? 0.6 : 0.45;
  if (!wireBursts.length && (f.drift.some((d) => d.lateMs >= 1000) || f.hiddenAtStart)) {
    contradictions.push('the desktop was throttled at the time, which also delays delivery to the page');
    base -= 0.15;
  }
  // The page sent nothing over the same gap: it was frozen and caught up at once, not held by the network.
  const frozen = appBursts.filter((b) => pageSilentOver(f, b));
  if (frozen.length && frozen.length === f.bursts.length) {
    contradictions.push(
      `${frozen[0].source}: the desktop sent nothing during the same gap, then everything arrived at once: a frozen page`,
    );
    base -= 0.25;
  }
  if (f.bursts.every((b) => afterGiveUp(f, b))) {
    contradictions.push(
      'the burst came after the desktop had closed that connection for silence: TCP retransmitting lost segments once the path healed, not a held delivery',
    );
    base -= 0.25;
  }
  return {
    cause: 'delayed',
    domain: 'network',
    summary: "Notifs' messages were held on the way and arrived late, in a burst.",
    base,
    evidence,
    contradictions,
  };
};

/** Stream positions out of order. */
export const ruleReordered: Rule = (f) => {
  if (!f.reorders.length) return null;
  const evidence = f.reorders.map((r) => fromTrigger(r, `${r.sourceKind}: `));
  for (const w of f.wire.filter((w) => w.s2cOutOfOrder > 0))
    evidence.push(fromWire(w, `capture: ${w.s2cOutOfOrder} out-of-order Notifs → desktop segment(s)`));
  return {
    cause: 'reordered',
    domain: 'network',
    summary: 'Notifications arrived out of order.',
    base: 0.6,
    evidence,
    contradictions: [],
  };
};

// ---------------------------------------------------------------- resets
/** RST whose TTL / IP ID does not match the server's packets, or a device that reset a connection the server did not. */
export const ruleResetByMiddlebox: Rule = (f) => {
  const evidence: EvidenceItem[] = [];
  const contradictions: string[] = [];
  let base = 0;
  const rsts = f.closes.filter((c) => c.kind === 'conn-close' && c.how === 'rst');
  const forged = rsts.filter((c) => (c.kind === 'conn-close' && c.by === 'middlebox') || ttlMismatch(c));
  for (const r of forged)
    evidence.push(item(r.source, r.ts, `capture: ${closeFact(r)} — not from the server's TCP stack`));
  if (forged.length) base = 0.65;
  const deviceResets = f.devices.filter(
    (d) => d.cause === 'reset-device' || d.cause === 'reset-server' || d.cause === 'reset-client',
  );
  const captureCovers = f.wire.length > 0;
  const realServerRst = rsts.some(
    (c) =>
      c.kind === 'conn-close' && c.by === 'server' && !ttlMismatch(c) && f.sources.get(c.source)?.kind === 'capture',
  );
  for (const d of deviceResets) {
    if (d.cause === 'reset-device') {
      // A device logging that it reset the flow itself is direct evidence; an RST "from the server" with a
      // plausible TTL is not evidence against it (a middlebox answering on the server's behalf looks like that).
      evidence.push(
        item(d.source, d.ts, `device log: the device itself reset the connection (${d.reason ?? d.cause})`),
      );
      base = Math.max(base, 0.7);
    } else if (captureCovers && !realServerRst) {
      evidence.push(
        item(
          d.source,
          d.ts,
          `device log: teardown "${d.reason ?? d.cause}", but the PC capture shows no RST from the server's stack`,
        ),
      );
      base = Math.max(base, 0.6);
    }
    if (d.clockUncertain)
      contradictions.push(`${d.source}: the device clock is uncertain; the line may belong to another time`);
  }
  // A reset seen only by the browser (ERR_CONNECTION_RESET): could be either; the seed points at the network first.
  const blind = f.closes.filter(
    (c) =>
      c.kind === 'conn-close' &&
      (c.how === 'rst' || (c.how === 'error' && /reset/i.test(c.reason ?? ''))) &&
      (c.by === undefined || c.by === 'unknown') &&
      APP_KINDS.includes(f.sources.get(c.source)?.kind ?? 'capture'),
  );
  if (!base && blind.length) {
    base = 0.4;
    for (const r of blind) evidence.push(item(r.source, r.ts, `${kindOf(f, r.source)}: ${closeFact(r)}`));
    contradictions.push(
      'only the browser saw the reset; the server may have sent it (a capture, step 6, shows the TTL)',
    );
  }
  if (!base) return null;
  return {
    cause: 'reset-by-middlebox',
    domain: 'network',
    summary: 'A device on the path (firewall, proxy, NAT) reset the connection.',
    base,
    evidence,
    contradictions,
  };
};

/** RST from the server's own stack (TTL and IP ID consistent with its earlier packets). */
export const ruleResetByServer: Rule = (f) => {
  const rsts = f.closes.filter(
    (c) => c.kind === 'conn-close' && c.how === 'rst' && c.by === 'server' && !ttlMismatch(c),
  );
  const evidence: EvidenceItem[] = rsts.map((r) => item(r.source, r.ts, `${kindOf(f, r.source)}: ${closeFact(r)}`));
  const contradictions: string[] = [];
  let base = rsts.length ? 0.65 : 0;
  const deviceServer = f.devices.filter((d) => d.cause === 'reset-server');
  for (const d of deviceServer) {
    if (rsts.length)
      evidence.push(item(d.source, d.ts, `device log: teardown "${d.reason ?? d.cause}" (reset from the server side)`));
    else if (!f.wire.length) {
      evidence.push(item(d.source, d.ts, `device log: teardown "${d.reason ?? d.cause}" (reset from the server side)`));
      contradictions.push(
        'only a device log shows the reset; a device beyond it could have sent it (a PC capture, step 6, shows the TTL)',
      );
      base = Math.max(base, 0.45);
    }
  }
  if (!base) return null;
  const deviceOwn = f.devices.filter((d) => d.cause === 'reset-device');
  if (deviceOwn.length) {
    contradictions.push(
      `${deviceOwn[0].source}: the device says it reset the connection itself (${deviceOwn[0].reason ?? 'reset'})`,
    );
    base -= 0.2;
  }
  if (rsts.some((r) => r.kind === 'conn-close' && r.ttl === undefined && kindOf(f, r.source) === 'capture'))
    contradictions.push('the RST carries no TTL comparison; a middlebox spoofing the server is not ruled out');
  return {
    cause: 'reset-by-server',
    domain: 'backend',
    summary: "The server's own TCP stack reset the connection.",
    base,
    evidence,
    contradictions,
  };
};

// ---------------------------------------------------------------- closes
function isMultiLogin(f: IncidentFacts, c: AlignedEvent): boolean {
  const reason = c.kind === 'conn-close' || c.kind === 'ws-control' ? (c.reason ?? '') : '';
  return !!f.multilogin || /multi.?login/i.test(reason);
}

/** WebSocket/TCP close started by the server; a close after ≥ ¾ of the silence timeout without desktop messages is a consequence. */
export const ruleClosedByServer: Rule = (f) => {
  const closes = starterCloses(f).filter(
    (c) => closeBy(c) === 'server' && !(c.kind === 'conn-close' && c.how === 'rst'),
  );
  if (!closes.length) return null;
  const evidence = closes.map((c) => item(c.source, c.ts, `${kindOf(f, c.source)}: ${closeFact(c)}`));
  const contradictions: string[] = [];
  let base = 0.65;
  let detail: string | undefined;
  let domain: Domain = 'backend';
  let summary = 'Notifs closed the connection.';
  const code = closes.map(closeCode).find((x) => x !== undefined);
  if (closes.some((c) => isMultiLogin(f, c) || closeCode(c) === CODE_MULTI_LOGIN)) {
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
  if (!detail && code === CODE_SILENCE) {
    contradictions.push(
      `close code ${CODE_SILENCE}: Notifs heard nothing from the desktop for the silence timeout; the close is its reaction, not the cause`,
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
  const closes = starterCloses(f).filter((c) => closeBy(c) === 'desktop');
  if (!closes.length) return null;
  const evidence = closes.map((c) => item(c.source, c.ts, `${kindOf(f, c.source)}: ${closeFact(c)}`));
  const contradictions: string[] = [];
  let base = 0.6;
  const quiet = f.quietBeforeClose.s2c;
  const code = closes.map(closeCode).find((x) => x !== undefined);
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

// ---------------------------------------------------------------- server
/** TCP alive (the server ACKs the desktop's data, sends segments or pings) but no application messages from Notifs. */
export const ruleServerStalled: Rule = (f) => {
  const alive = f.wire.filter((w) => {
    const d = w.duringS2cSilence;
    return d && tcpAlive(d) && (d.c2sMessages > 0 || w.c2sRetrans > 0);
  });
  if (!alive.length) return null;
  const evidence: EvidenceItem[] = [];
  const contradictions: string[] = [];
  let base = 0.65;
  if (f.fails.length || f.stuckConnects.length) {
    contradictions.push(
      `${f.fails.length + f.stuckConnects.length} new connection(s) failed too: a path or whole-service failure, not one stalled socket (and a TCP-terminating proxy ACKs on the server's behalf)`,
    );
    base = 0.4;
  }
  if (f.bursts.some((b) => b.sourceKind === 'capture')) {
    contradictions.push('the silence ended with a burst on the wire: held on the path, or flushed by the server');
    base = 0.45;
  }
  for (const s of f.wireSilent.s2c) evidence.push(fromTrigger(s, 'capture: '));
  for (const w of alive)
    evidence.push(
      fromWire(
        w,
        `capture: the server's TCP stack stayed alive (${w.duringS2cSilence!.s2cAcks} ACK advance(s) for the desktop's data${w.duringS2cSilence!.s2cPings ? `, ${w.duringS2cSilence!.s2cPings} ping(s)` : ''}) but sent no message`,
      ),
    );
  for (const s of f.appSilent.s2c) evidence.push(fromTrigger(s, `${kindOf(f, s.source)}: `));
  return {
    cause: 'server-stalled',
    domain: 'backend',
    summary: 'The server kept the TCP connection alive but Notifs sent no messages.',
    base,
    evidence,
    contradictions,
  };
};

// ---------------------------------------------------------------- reconnects
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
  const evidence = [...c.evidence].sort((a, b) => a.ts - b.ts);
  const verdict: Verdict = {
    domain: c.domain,
    cause: c.cause,
    ...(c.detail ? { detail: c.detail } : {}),
    summary: c.summary,
    confidence: best.conf,
    evidence:
      evidence.length > MAX_EVIDENCE
        ? [...evidence.slice(0, MAX_EVIDENCE - 1), evidence[evidence.length - 1]]
        : evidence,
    contradictions: c.contradictions,
    missing: missingFor(c.cause, present),
    nextSteps: nextStepsFor(c.cause, ctx, c.detail),
  };
  const considered = scored
    .slice(1)
    .filter((s) => s.c.cause !== 'unknown' && s.c.cause !== c.cause)
    .map((s) => ({ cause: s.c.cause, domain: s.c.domain, confidence: s.conf, summary: s.c.summary }));
  return { verdict, considered };
}
