// Loss family: the network between the desktop and Notifs lost, held or reordered messages (seed step 3b).
import { APP_KINDS, type IncidentFacts, type WireFacts } from '../analyses.ts';
import { formatDuration } from '../duration.ts';
import type { EvidenceItem } from '../model.ts';
import { ends, fromTrigger, fromWire, item, kindOf, type Rule } from './candidate.ts';
import {
  c2sLossFirst,
  c2sLostBetweenCaptures,
  closeBy,
  closeFact,
  deadBothWays,
  desktopSending,
  onTimeOnWire,
  pageSilentOver,
  resentAfterGiveUp,
  saysSilence,
  sentBeforeClose,
  silenceClosesWhileTalking,
  starterCloses,
  tcpAlive,
} from './facts.ts';

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
  const heardNothing = starterCloses(f).filter((c) => closeBy(f, c) === 'server' && saysSilence(f, c));
  const sentBefore = heardNothing.flatMap((c) => sentBeforeClose(f.appMessages, f, c, 'c2s'));
  // Messages the capture saw leave the PC count too: they were lost between the capture point and Notifs.
  const wireSentBefore = heardNothing.flatMap((c) => sentBeforeClose(f.wireMessages, f, c, 'c2s'));
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
          `${kindOf(f, c.source)}: Notifs closed for silence (${closeFact(c)}): it heard nothing from the desktop for the silence timeout`,
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
      `${talking[0].close.source}: Notifs was still sending when it closed for silence although the desktop had sent: the loss was desktop → Notifs, and the silence towards the desktop is the close`,
    );
    base -= 0.2;
  }
  if (f.bursts.some((b) => !resentAfterGiveUp(f, b))) {
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

/** Messages late or in bursts: arrival gaps then many at once. */
export const ruleDelayed: Rule = (f) => {
  if (!f.bursts.length) return null;
  const wireBursts = f.bursts.filter((b) => b.sourceKind === 'capture');
  const appBursts = f.bursts.filter((b) => APP_KINDS.includes(b.sourceKind));
  if (!wireBursts.length && appBursts.some((b) => onTimeOnWire(f, b))) return null; // the page was late, not the network
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
  if (f.bursts.every((b) => resentAfterGiveUp(f, b))) {
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

export interface SurvivedFlap {
  source: string;
  ts: number;
  summary: string;
}

/**
 * A flap the socket survived: the only triggers are late bursts after a gap shorter than the silence timeout, no
 * silence, no close, no failed connect, and a capture shows TCP resending (≥ 2) — segments lost and resent on a path
 * that healed by itself. A note, not an incident (frames held without any retransmission are `delayed`).
 */
export function survivedFlap(f: IncidentFacts): SurvivedFlap | null {
  const { triggers } = f.incident;
  if (!triggers.length || triggers.some((t) => t.kind !== 'burst')) return null;
  if (triggers.some((t) => t.to - t.from >= f.opts.silenceMs) || f.closes.length || f.fails.length) return null;
  // An outage makes TCP resend more than once (backoff); a single resend is noise on a held, ACKed stream.
  const retrans = f.wire.reduce((n, w) => n + w.c2sRetrans + w.s2cRetrans, 0);
  if (retrans < 2) return null;
  const first = triggers[0];
  return {
    source: first.source,
    ts: first.from,
    summary: `the connection survived a short network flap (${retrans} retransmission(s), messages late by ${formatDuration(first.to - first.from)}, under the silence timeout, no close): not an incident`,
  };
}
