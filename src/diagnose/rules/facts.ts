// Named predicates over one incident's facts (analyses.ts): what the wire, the page and the closes show.
// They describe; the rule families (desktop, loss, resets, closes, server, reconnects) weigh them.
import type { IncidentFacts, WindowCounts, WireFacts } from '../analyses.ts';
import { dirWords, type Trigger } from '../incidents.ts';
import type { EvidenceItem } from '../model.ts';
import type { AlignedEvent } from '../timeline.ts';
import { fromWire } from './candidate.ts';

/** The server side answered at TCP level: it ACKed every desktop byte sent in the window, or pinged. */
export function tcpAlive(d: WindowCounts): boolean {
  return (d.s2cAcks > 0 && !d.c2sUnacked) || d.s2cPings > 0;
}
/**
 * The loss began desktop → Notifs: while the desktop's messages had stopped (or were retransmitted unACKed),
 * Notifs' messages still arrived and the desktop's bytes stayed unacknowledged.
 */
export function c2sLossFirst(w: WireFacts): boolean {
  const d = w.duringC2sSilence;
  return !!d && d.s2cMessages > 0 && d.c2sUnacked && d.s2cAcks === 0 && w.c2sRetrans > 0;
}
/** Captures where, during the Notifs → desktop silence, the desktop kept sending but nothing at all came back. */
export function deadBothWays(f: IncidentFacts): WireFacts[] {
  return f.wire.filter((w) => {
    const d = w.duringS2cSilence;
    return !!d && w.c2sRetrans > 0 && d.c2sUnacked && d.s2cAcks === 0 && d.s2cData === 0 && d.s2cPings === 0;
  });
}
/** The desktop kept sending on this wire: messages (or TLS records) or retransmissions — not just a close frame. */
export function desktopSending(w: WireFacts): boolean {
  return w.c2sMessages > 0 || w.c2sRetrans > 0;
}
/** Close codes only Notifs sends: a desktop close frame carrying one is the desktop echoing the server's close. */
export const SERVER_ONLY_CODES = new Set([4001, 4002, 4003, 4008, 4401, 4403, 4409]);

export function closeBy(e: AlignedEvent): 'desktop' | 'server' | 'middlebox' | 'unknown' {
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
export function ttlMismatch(e: AlignedEvent): boolean {
  return (
    e.kind === 'conn-close' &&
    ((e.ttl !== undefined && e.expectedTtl !== undefined && Math.abs(e.ttl - e.expectedTtl) > 1) || e.ipIdJump === true)
  );
}
/**
 * Closes that count as "who started it": per file and connection, the first close seen (a close frame, or the
 * TCP FIN/RST/error when no frame was seen). The other side's echo frame and the FINs after a close handshake are
 * its consequences.
 */
export function starterCloses(f: IncidentFacts): AlignedEvent[] {
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
export const CODE_SILENCE = 4000;
export const CODE_SLEEP = 4010;
export const CODE_MULTI_LOGIN = 4409;
export const POLICY_CODES = new Set([1008, 4401, 4403]);

export function closeCode(c: AlignedEvent): number | undefined {
  return c.kind === 'conn-close' ? c.wsCode : c.kind === 'ws-control' ? c.code : undefined;
}

/**
 * Notifs closed for silence (4000: it heard nothing from the desktop) although, within the silence timeout before
 * that close, the desktop sent (page log or capture) and Notifs itself was still sending to the desktop. Notifs
 * was alive and talking; the desktop's messages were lost on the way to it. Any Notifs → desktop silence that
 * follows is the close, not a loss.
 */
export interface SilenceClose {
  close: AlignedEvent;
  desktopSent: AlignedEvent[];
  serverSent: AlignedEvent[];
}
export function silenceClosesWhileTalking(f: IncidentFacts): SilenceClose[] {
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

export function closeFact(c: AlignedEvent): string {
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

/** A capture saw desktop data in the window while another capture saw no desktop data at all: lost in between. */
export function c2sLostBetweenCaptures(f: IncidentFacts): EvidenceItem[] | undefined {
  const sending = f.wire.filter(desktopSending);
  const deaf = f.wire.filter((w) => !desktopSending(w) && f.wireSilent.c2s.some((s) => s.source === w.source));
  if (!sending.length || !deaf.length) return undefined;
  return [
    ...sending.map((w) => fromWire(w, `capture: the desktop sent ${w.c2sData} segment(s) here`)),
    ...deaf.map((w) => fromWire(w, 'capture: none of them arrived here')),
  ];
}

/** The same app source logged no desktop send over (most of) the burst's gap. */
export function pageSilentOver(f: IncidentFacts, b: Trigger): boolean {
  return f.appSilent.c2s.some(
    (s) => s.source === b.source && s.from <= b.from + f.opts.keepaliveMs && s.to >= b.to - f.opts.keepaliveMs,
  );
}

/** The desktop closed the connection between the last message before the burst and the burst itself. */
export function afterGiveUp(f: IncidentFacts, b: Trigger): boolean {
  return f.closes.some((c) => c.ts > b.from && c.ts < b.to && closeBy(c) === 'desktop');
}
