// Desktop family: the desktop stopped sending — throttled, asleep, or stalled (seed step 3a).
import { APP_KINDS, type IncidentFacts } from '../analyses.ts';
import { formatDuration } from '../duration.ts';
import type { Trigger } from '../incidents.ts';
import type { Cause, EvidenceItem } from '../model.ts';
import { fromTrigger, fromWire, item, kindOf, type Rule } from './candidate.ts';
import { CODE_SLEEP, desktopSending, knownCode, onTimeOnWire, pageSilentOver, pcStopped } from './facts.ts';

/** Chrome's intensive throttling batches wake-ups to whole minutes, ordinary hidden-tab throttling to whole seconds. */
function driftWords(lateMs: number, actualMs: number): string {
  const nearMinute = actualMs >= 55_000 && Math.abs(actualMs / 60_000 - Math.round(actualMs / 60_000)) < 0.05;
  if (nearMinute) return ' — aligned to a minute: Chrome intensive wake-up throttling (1 wake-up per minute)';
  if (lateMs >= 900 && Math.abs(actualMs / 1000 - Math.round(actualMs / 1000)) < 0.05)
    return ' — aligned to a second: hidden-tab timer throttling';
  return '';
}

/**
 * The browser's network stack was not reading: over a NetLog silence of Notifs → desktop messages, the PC's capture
 * shows them arriving (a frozen page alone leaves the NetLog on time; only the page's own log goes quiet).
 */
function browserHung(f: IncidentFacts): EvidenceItem[] {
  const margin = Math.min(500, f.opts.keepaliveMs / 4);
  const out: EvidenceItem[] = [];
  for (const s of f.appSilent.s2c) {
    if (f.sources.get(s.source)?.kind !== 'netlog') continue;
    const seen = f.wireMessages.filter(
      (m) => 'dir' in m && m.dir === 's2c' && m.ts > s.from + margin && m.ts < s.to - margin,
    );
    if (seen.length >= 2)
      out.push(
        item(
          s.source,
          s.from,
          `netlog: the browser read no Notifs message for ${formatDuration(s.to - s.from)} while the PC's capture shows ${seen.length} arriving (${seen[0].source}) — its network stack was not running`,
        ),
      );
  }
  return out;
}

/** Desktop → Notifs silences where the desktop really sent nothing: the page's log, and captures with no data. */
interface Quiet {
  app: Trigger[];
  wire: Trigger[];
}

function quietOf(f: IncidentFacts): Quiet {
  const wire = f.wireSilent.c2s.filter((s) => {
    const w = f.wire.find((x) => x.source === s.source);
    return !w || !desktopSending(w);
  });
  return { app: f.appSilent.c2s, wire };
}

/** What shows the desktop was quiet while Notifs kept talking (the server and the path were alive). */
function quietEvidence(f: IncidentFacts, q: Quiet): EvidenceItem[] {
  const out: EvidenceItem[] = [];
  for (const s of q.app)
    out.push(
      item(
        s.source,
        s.from,
        `${kindOf(f, s.source)}: the desktop sent nothing for ${formatDuration(s.to - s.from)}${s.tail ? ' (until the evidence ends)' : ''}`,
      ),
    );
  for (const s of q.wire)
    out.push(
      item(
        s.source,
        s.from,
        `capture: no desktop → Notifs data on the wire for ${formatDuration(s.to - s.from)}, not even a retransmission`,
      ),
    );
  const late = f.sentIntoClosed ?? [];
  if (late.length)
    out.push(
      item(
        late[0].source,
        late[0].ts,
        `${kindOf(f, late[0].source)}: the page sent ${late.length} message(s) only after its connection had closed — it was not running when the close came`,
      ),
    );
  for (const w of f.wire)
    if (q.wire.some((s) => s.source === w.source) && (w.duringC2sSilence?.s2cMessages ?? 0) > 0)
      out.push(
        fromWire(
          w,
          `capture: ${w.duringC2sSilence!.s2cMessages} Notifs → desktop message(s) arrived on time meanwhile`,
        ),
      );
  const recv = f.appOtherDirDuringSilence.c2s;
  if (recv.length)
    out.push(
      item(
        recv[0].source,
        recv[0].ts,
        `${kindOf(f, recv[0].source)}: ${recv.length} Notifs message(s) received while the desktop sent nothing`,
      ),
    );
  return out;
}

/** The desktop's own signs of a system sleep: a wall-clock jump, its sleep detection, its 4010 close. */
function sleepEvidence(f: IncidentFacts): EvidenceItem[] {
  return [
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
      .filter((c) => knownCode(f, c) === CODE_SLEEP)
      .map((c) =>
        item(c.source, c.ts, `the desktop closed with code ${CODE_SLEEP}: it detected a wall-clock jump (sleep)`),
      ),
  ];
}

const LIFECYCLE_WORDS: Record<string, string> = {
  hidden: 'the desktop tab was hidden',
  freeze: 'the browser froze the desktop page',
  discarded: 'the browser discarded the desktop page (Memory Saver)',
};

/**
 * Signs the page was throttled or frozen: late timers, hidden/frozen/discarded, a page catching up in a burst, or
 * Notifs' messages on the wire that the page never logged.
 */
function throttleEvidence(f: IncidentFacts, q: Quiet): EvidenceItem[] {
  const out = [
    ...f.drift
      .filter((d) => d.lateMs >= 1000 && Math.abs(d.wallJumpMs) < 5000)
      .map((d) =>
        item(
          d.source,
          d.ts,
          `${d.timer} timer fired ${formatDuration(d.lateMs)} late (expected ${formatDuration(d.expectedMs)}, took ${formatDuration(d.actualMs)})${driftWords(d.lateMs, d.actualMs)}`,
        ),
      ),
    ...f.lifecycle.filter((l) => l.what in LIFECYCLE_WORDS).map((l) => item(l.source, l.ts, LIFECYCLE_WORDS[l.what])),
  ];
  const h = f.hiddenAtStart;
  if (h && !out.some((t) => t.ts === h.ts))
    out.push(item(h.source, h.ts, 'the desktop tab was hidden (and not visible again) when the silence began'));
  const pageBursts = f.bursts.filter((b) => APP_KINDS.includes(b.sourceKind));
  // Everything received at once after a gap in which the page also sent nothing: the page was frozen.
  for (const b of pageBursts.filter((b) => pageSilentOver(f, b)))
    out.push(
      item(
        b.source,
        b.to,
        `${kindOf(f, b.source)}: ${b.fact}, while the page sent nothing — a frozen page catching up`,
      ),
    );
  // Received late by the page but on time on the wire: the page's JavaScript was not running.
  for (const b of pageBursts) if (onTimeOnWire(f, b)) out.push(fromTrigger(b, `${kindOf(f, b.source)}: `));
  const unprocessed = f.wireDuringAppSilence.s2c;
  if (unprocessed.length && q.app.length)
    out.push(
      item(
        unprocessed[0].source,
        unprocessed[0].ts,
        `capture: ${unprocessed.length} Notifs message(s) reached the PC on time while the page logged none (its JavaScript was not running)`,
      ),
    );
  return out;
}

/** Intensive throttling lets a hidden tab's timers run once a minute: a send silence of a whole minute. */
function minuteGaps(f: IncidentFacts, q: Quiet): EvidenceItem[] {
  return [...q.app, ...q.wire]
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
}

/** Nothing shows Notifs still talking while both directions went quiet: a dead path explains that as well. */
function bothQuiet(f: IncidentFacts, q: Quiet): boolean {
  const serverTalked =
    f.wireDuringAppSilence.s2c.length > 0 ||
    f.bursts.some((b) => APP_KINDS.includes(b.sourceKind) && pageSilentOver(f, b)) ||
    f.appOtherDirDuringSilence.c2s.length > 0 ||
    f.wire.some((w) => q.wire.some((s) => s.source === w.source) && (w.duringC2sSilence?.s2cMessages ?? 0) > 0);
  return !serverTalked && f.firstSilentDir !== 'c2s' && (f.appSilent.s2c.length > 0 || f.wireSilent.s2c.length > 0);
}

interface Reason {
  cause: Cause;
  summary: string;
  base: number;
  evidence: EvidenceItem[];
}

/** The most specific reason the evidence shows, strongest first. */
function reasonOf(f: IncidentFacts, q: Quiet): Reason & { physicsOnly: boolean } {
  const sleep = sleepEvidence(f);
  if (sleep.length)
    return {
      cause: 'desktop-asleep',
      summary: 'The desktop stopped sending keepalives because the PC slept.',
      base: 0.65,
      evidence: sleep,
      physicsOnly: true,
    };
  // Only the physics says so: nothing moved at all on the PC, then the desktop itself came back.
  const stopped = pcStopped(f);
  if (stopped.length)
    return {
      cause: 'desktop-asleep',
      summary:
        'Nothing was sent or received until the desktop itself came back: the PC slept or the browser hung (a dead path would have left the desktop sending and retransmitting).',
      base: 0.55,
      evidence: stopped,
      physicsOnly: true,
    };
  // The browser's own network log (NetLog) read Notifs' frames late while the PC's capture shows them on time: not
  // only the page but the whole browser had stopped (hung, or stopped by the OS).
  const hung = browserHung(f);
  if (hung.length)
    return {
      cause: 'desktop-stalled',
      summary:
        "The whole browser stopped (hung or stopped by the OS): the PC received Notifs' messages on time, but the browser's own network stack read them only later, and the desktop sent nothing meanwhile.",
      base: 0.6,
      evidence: hung,
      physicsOnly: false,
    };
  const throttle = throttleEvidence(f, q);
  if (throttle.length)
    return {
      cause: 'desktop-throttled',
      summary: 'The desktop stopped sending keepalives while its tab was throttled/frozen by the browser.',
      base: 0.6,
      evidence: throttle,
      physicsOnly: false,
    };
  const minutes = minuteGaps(f, q);
  if (minutes.length)
    // Weaker: only the timing says so (the gap is a whole minute), nothing from the desktop itself.
    return {
      cause: 'desktop-throttled',
      summary:
        'The desktop stopped sending keepalives and resumed after a whole minute: the signature of Chrome’s intensive wake-up throttling of hidden tabs.',
      base: 0.55,
      evidence: minutes,
      physicsOnly: false,
    };
  return {
    cause: 'desktop-stalled',
    summary: 'The desktop stopped sending keepalives; nothing in the evidence shows why.',
    base: 0.5,
    evidence: [],
    physicsOnly: false,
  };
}

/** Desktop stopped sending: throttled (drift/hidden/freeze), asleep (wall-clock jump), or stalled (no reason seen). */
export const ruleDesktopStopped: Rule = (f) => {
  if (f.appDuringWireSilence.c2s.length > 0) return null; // the page did send: see outbound-loss
  const q = quietOf(f);
  const quiet = [...q.app, ...q.wire];
  if (quiet.length === 0) return null;
  // The desktop cannot send on a connection that just ended: a silence that began with the close is its effect.
  const quietFrom = Math.min(...quiet.map((s) => s.from));
  const firstClose = f.closes[0]?.ts;
  if (firstClose !== undefined && firstClose >= quietFrom && firstClose - quietFrom < 1.5 * f.opts.keepaliveMs)
    return null;
  const contradictions: string[] = [];
  const onWire = f.wireDuringAppSilence.c2s;
  if (onWire.length)
    contradictions.push(
      `${onWire[0].source} shows ${onWire.length} desktop → Notifs message(s) on the wire while the desktop's own log shows no send`,
    );
  const r = reasonOf(f, q);
  let base = r.base;
  // A sleeping or stopped PC explains both directions going quiet; anything else leaves a dead path possible.
  if (!r.physicsOnly && bothQuiet(f, q)) {
    contradictions.push('both directions went quiet together, which a dead path explains as well');
    base -= 0.15;
  }
  if (Math.max(...quiet.map((s) => s.to - s.from)) < f.opts.silenceMs) base -= 0.1;
  return {
    cause: r.cause,
    domain: 'desktop',
    summary: r.summary,
    base,
    evidence: [...quietEvidence(f, q), ...r.evidence],
    contradictions,
  };
};
