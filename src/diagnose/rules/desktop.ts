// Desktop family: the desktop stopped sending — throttled, asleep, or stalled (seed step 3a).
import { APP_KINDS, type IncidentFacts } from '../analyses.ts';
import { formatDuration } from '../duration.ts';
import type { Trigger } from '../incidents.ts';
import type { Cause, EvidenceItem } from '../model.ts';
import { fromTrigger, fromWire, item, kindOf, type Rule } from './candidate.ts';
import { CODE_SLEEP, desktopSending, knownCode, pageSilentOver, pcStopped } from './facts.ts';

/** Chrome's intensive throttling batches wake-ups to whole minutes, ordinary hidden-tab throttling to whole seconds. */
function driftWords(lateMs: number, actualMs: number): string {
  const nearMinute = actualMs >= 55_000 && Math.abs(actualMs / 60_000 - Math.round(actualMs / 60_000)) < 0.05;
  if (nearMinute) return ' — aligned to a minute: Chrome intensive wake-up throttling (1 wake-up per minute)';
  if (lateMs >= 900 && Math.abs(actualMs / 1000 - Math.round(actualMs / 1000)) < 0.05)
    return ' — aligned to a second: hidden-tab timer throttling';
  return '';
}

/** A burst the capture shows arriving on time (within a second of the capture's own messages window). */
function onTimeOnWire(f: IncidentFacts, b: Trigger): boolean {
  return f.wire.some((w) => w.s2cMessages > 0 && b.from >= w.from - 1000 && b.to <= w.to + 1000);
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
  const late = f.sentIntoClosed ?? [];
  if (late.length)
    evidence.push(
      item(
        late[0].source,
        late[0].ts,
        `${kindOf(f, late[0].source)}: the page sent ${late.length} message(s) only after its connection had closed — it was not running when the close came`,
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
      .filter((c) => knownCode(f, c) === CODE_SLEEP)
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
  // The browser's own network log (NetLog) read Notifs' frames late, in a burst, while the PC's capture shows them
  // arriving on time: not only the page but the whole browser had stopped (hung, or stopped by the OS). A frozen
  // page alone leaves the NetLog on time.
  const hung = browserHung(f);
  const pageBursts = f.bursts.filter((b) => APP_KINDS.includes(b.sourceKind) && !hung.length);
  // Everything received at once after a gap in which the page also sent nothing: the page was frozen.
  for (const b of pageBursts.filter((b) => pageSilentOver(f, b)))
    throttle.push(
      item(
        b.source,
        b.to,
        `${kindOf(f, b.source)}: ${b.fact}, while the page sent nothing — a frozen page catching up`,
      ),
    );
  // Received late by the page but on time on the wire: the page's JavaScript was not running.
  for (const b of pageBursts) if (onTimeOnWire(f, b)) throttle.push(fromTrigger(b, `${kindOf(f, b.source)}: `));

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
  const stopped = sleep.length ? [] : pcStopped(f);
  let cause: Cause;
  let summary: string;
  let base: number;
  if (sleep.length) {
    cause = 'desktop-asleep';
    summary = 'The desktop stopped sending keepalives because the PC slept.';
    evidence.push(...sleep);
    base = 0.65;
  } else if (stopped.length) {
    // Only the physics says so: nothing moved at all on the PC, then the desktop itself came back.
    cause = 'desktop-asleep';
    summary =
      'Nothing was sent or received until the desktop itself came back: the PC slept or the browser hung (a dead path would have left the desktop sending and retransmitting).';
    evidence.push(...stopped);
    base = 0.55;
  } else if (hung.length) {
    cause = 'desktop-stalled';
    summary =
      "The whole browser stopped (hung or stopped by the OS): the PC received Notifs' messages on time, but the browser's own network stack read them only later, and the desktop sent nothing meanwhile.";
    evidence.push(...hung);
    base = 0.6;
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
  if (bothDead && !sleep.length && !stopped.length) {
    contradictions.push('both directions went quiet together, which a dead path explains as well');
    base -= 0.15;
  }
  const gap = Math.max(...[...appQuiet, ...wireQuiet].map((s) => s.to - s.from));
  if (gap < silenceMs) base -= 0.1;
  return { cause, domain: 'desktop', summary, base, evidence, contradictions };
};
