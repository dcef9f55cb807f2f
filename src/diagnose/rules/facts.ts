// Named predicates over one incident's facts (analyses.ts): what the wire, the page and the closes show.
// They describe; the rule families (desktop, loss, resets, closes, server, reconnects) weigh them.

import type { Dir } from '../../events/types.ts';
import { CLOSE, notifsOnlyCodes } from '../../protocol/close-codes.ts';
import { between, type IncidentFacts, type WindowCounts, type WireFacts } from '../analyses.ts';
import { formatDuration } from '../duration.ts';
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
/** Lifeline's private close codes that only Notifs sends: a desktop close frame carrying one echoes the server's. */
export const SERVER_ONLY_CODES = new Set(notifsOnlyCodes().filter((code) => code >= 4000));

/** Lifeline/WxCC close codes the rules read. */
export const CODE_SILENCE = CLOSE.SILENCE_TIMEOUT;
export const CODE_SLEEP = CLOSE.SLEEP_DETECTED;
export const CODE_MULTI_LOGIN = CLOSE.MULTI_LOGIN;
/** 1008 is RFC 6455's policy violation (any server); 4401/4403 are Lifeline's. */
export const POLICY_CODES = new Set<number>([CLOSE.POLICY, CLOSE.UNAUTHORIZED, CLOSE.FORBIDDEN]);

export function closeCode(c: AlignedEvent): number | undefined {
  return c.kind === 'conn-close' ? c.wsCode : c.kind === 'ws-control' ? c.code : undefined;
}

/**
 * The close code as a hint the rules may read. RFC 6455's own codes (< 4000) mean the same everywhere; the private
 * range 4000–4999 means what Lifeline's table says only where that side is known to be Lifeline: the server by its
 * Welcome (or other Lifeline-only messages), the desktop by its own error report. The real Notifs is Cisco's, its
 * codes are not ours, and Cisco's SDK ignores them.
 */
export function knownCode(f: IncidentFacts, c: AlignedEvent): number | undefined {
  const code = closeCode(c);
  if (code === undefined || code < 4000) return code;
  if (f.serverIsLifeline) return code;
  return rawBy(c) === 'desktop' && f.kindsPresent.has('report') ? code : undefined;
}

/** Words a close reason uses when its sender gave up for lack of keepalives (any implementation's own text). */
const SILENCE_REASON = /silen|keep-?alive|heart-?beat|time-?d? ?out|idle|inactiv|no (ping|pong|message)/i;

/** The closer says it closed because it heard nothing: Lifeline's 4000, or a reason in those words. */
export function saysSilence(f: IncidentFacts, c: AlignedEvent): boolean {
  if (knownCode(f, c) === CODE_SILENCE) return true;
  const reason = c.kind === 'conn-close' || c.kind === 'ws-control' ? (c.reason ?? '') : '';
  return (c.kind === 'ws-control' || (c.kind === 'conn-close' && c.how === 'ws-close')) && SILENCE_REASON.test(reason);
}

function rawBy(e: AlignedEvent): 'desktop' | 'server' | 'middlebox' | 'unknown' {
  if (e.kind === 'conn-close') return e.by ?? 'unknown';
  if (e.kind === 'ws-control') return e.dir === 'c2s' ? 'desktop' : 'server';
  return 'unknown';
}

/** Which side sent this close (a Lifeline server-only code on a desktop frame: the desktop echoing the server). */
export function closeBy(f: IncidentFacts, e: AlignedEvent): 'desktop' | 'server' | 'middlebox' | 'unknown' {
  const by = rawBy(e);
  const code = closeCode(e);
  if (by === 'desktop' && f.serverIsLifeline && code !== undefined && SERVER_ONLY_CODES.has(code)) return 'server';
  return by;
}

/**
 * An RST whose TTL differs from the sender's earlier packets came from another hop. An IP-ID jump alone proves
 * nothing: many PCs and servers use random or shared IP-ID counters.
 */
export function ttlMismatch(e: AlignedEvent): boolean {
  return e.kind === 'conn-close' && e.ttl !== undefined && e.expectedTtl !== undefined && e.ttl !== e.expectedTtl;
}

/**
 * An RST that reached the PC from the server's side: the capture's own `by` (server, or "middlebox" when it saw a
 * TTL or IP-ID oddity) on a Notifs → desktop packet. Only the TTL decides whether another hop sent it.
 */
export function serverSideRst(e: AlignedEvent): boolean {
  return e.kind === 'conn-close' && e.how === 'rst' && (e.by === 'server' || (e.by === 'middlebox' && e.dir !== 'c2s'));
}

/**
 * Closes that count as "who started it": per file and connection, the first close seen (a close frame, or the
 * TCP FIN/RST/error when no frame was seen), and other records of that same close by the same side at the same
 * instant (the frame and its conn-close event). The other side's answer — its echo close frame (RFC 6455 §5.5.1),
 * its FIN or RST after the handshake — is a consequence, however soon it follows and whatever code it carries.
 */
export function starterCloses(f: IncidentFacts): AlignedEvent[] {
  const first = new Map<string, { ts: number; by: string }>();
  const out: AlignedEvent[] = [];
  for (const c of f.closes) {
    const k = `${c.source}|${c.conn ?? ''}`;
    const by = closeBy(f, c);
    const t = first.get(k);
    if (t === undefined) first.set(k, { ts: c.ts, by });
    else if (c.ts - t.ts > 5 || (by !== t.by && by !== 'unknown' && t.by !== 'unknown')) continue;
    out.push(c);
  }
  return out;
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
  const out: SilenceClose[] = [];
  for (const close of starterCloses(f)) {
    if (closeBy(f, close) !== 'server' || !saysSilence(f, close)) continue;
    const desktopSent = [
      ...sentBeforeClose(f.appMessages, f, close, 'c2s'),
      ...sentBeforeClose(f.wireMessages, f, close, 'c2s'),
    ];
    const serverSent = [
      ...sentBeforeClose(f.appMessages, f, close, 's2c'),
      ...sentBeforeClose(f.wireMessages, f, close, 's2c'),
    ];
    if (desktopSent.length && serverSent.length) out.push({ close, desktopSent, serverSent });
  }
  return out;
}

/**
 * Messages of one direction (from a time-sorted list) within the silence timeout before a close, with a margin at
 * both ends (a message already on its way, the close's own frame): what the closer should have heard.
 */
export function sentBeforeClose<T extends AlignedEvent>(
  sorted: T[],
  f: IncidentFacts,
  close: AlignedEvent,
  dir: Dir,
): T[] {
  const margin = Math.min(500, f.opts.keepaliveMs / 4);
  const from = close.ts - f.opts.silenceMs + margin;
  const to = close.ts - margin;
  // between() is inclusive at both ends; the window is open at both.
  return between(sorted, from, to).filter((m) => m.ts > from && m.ts < to && 'dir' in m && m.dir === dir);
}

/** A burst the capture shows arriving on time (within a second of the capture's own messages window). */
export function onTimeOnWire(f: IncidentFacts, b: Trigger): boolean {
  return f.wire.some((w) => w.s2cMessages > 0 && b.from >= w.from - 1000 && b.to <= w.to + 1000);
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
  return f.closes.some((c) => c.ts > b.from && c.ts < b.to && closeBy(f, c) === 'desktop');
}

/**
 * The burst after the desktop gave up is TCP resending what the path lost once it healed — unless a capture shows
 * no retransmission and no RST: then the frames were held (a delaying relay or middlebox), and the desktop's own
 * watchdog closing in between was the consequence of the delay, not a loss.
 */
export function resentAfterGiveUp(f: IncidentFacts, b: Trigger): boolean {
  if (!afterGiveUp(f, b)) return false;
  const clean =
    f.wire.length > 0 && f.wire.every((w) => w.s2cRetrans === 0 && w.c2sRetrans === 0 && w.rsts.length === 0);
  return !clean;
}

/**
 * The whole PC (or browser) stopped: the PC's capture, or the browser's HAR / NetLog (not the page's error report,
 * which a frozen page stops writing), shows nothing sent and nothing received, not even a TCP retransmission, for
 * the silence timeout; the desktop did not close, reconnect or fail to connect meanwhile; and no burst of held
 * frames ended the quiet (that is a live PC holding them for a frozen page); both directions went quiet together.
 * A dead path looks different: the page
 * keeps sending and the PC's TCP keeps retransmitting. Evidence items, or none.
 */
export function pcStopped(f: IncidentFacts): EvidenceItem[] {
  const need = 0.75 * f.opts.silenceMs;
  const margin = Math.min(500, f.opts.keepaliveMs / 4);
  const overlap = (a: Trigger, b: Trigger) => Math.min(a.to, b.to) - Math.max(a.from, b.from);
  // A desktop that closed or failed to connect while the quiet went on was running (closing when it comes back,
  // at the quiet's end, is what a waking PC does).
  const acted = (from: number, to: number) =>
    f.fails.some((e) => e.ts > from + margin && e.ts < to - need / 2) ||
    f.closes.some((c) => closeBy(f, c) === 'desktop' && c.ts > from + margin && c.ts < to - need / 2);
  // Frames delivered at once when the quiet ended were held by a live PC for a page that was not running.
  const caughtUp = (src: string, to: number) =>
    f.bursts.some((b) => b.source === src && Math.abs(b.to - to) <= f.opts.keepaliveMs * 2 + 1000);
  const out: EvidenceItem[] = [];
  const pairs = (c2s: Trigger[], s2c: Trigger[], ok: (src: string) => boolean) => {
    for (const a of c2s)
      for (const b of s2c) {
        const from = Math.max(a.from, b.from);
        const to = Math.min(a.to, b.to);
        if (a.source !== b.source || !ok(a.source) || overlap(a, b) < need) continue;
        if (acted(from, to) || caughtUp(a.source, b.to)) continue;
        const kind = f.sources.get(a.source)?.kind ?? 'evidence';
        out.push({
          source: a.source,
          ts: from,
          fact: `${kind}: nothing sent and nothing received for ${formatDuration(to - from)}${kind === 'capture' ? ', not even a TCP retransmission' : ''}`,
        });
      }
  };
  const netLayer = (src: string) => ['har', 'netlog'].includes(f.sources.get(src)?.kind ?? '');
  pairs(f.appSilent.c2s, f.appSilent.s2c, netLayer);
  const quietWire = (src: string) => {
    const w = f.wire.find((x) => x.source === src);
    return !!w && w.c2sRetrans === 0 && (w.duringC2sSilence?.s2cData ?? 0) === 0;
  };
  pairs(f.wireSilent.c2s, f.wireSilent.s2c, quietWire);
  // A PC that stops, stops both ways at once; one direction going quiet first means it was running then.
  return out.length && f.firstSilentDir === undefined && desktopCameBack(f) ? out : [];
}

/** After the quiet, the desktop acted first: it closed the connection itself, or its messages resumed. */
function desktopCameBack(f: IncidentFacts): boolean {
  const first = starterCloses(f)[0];
  if (first) return closeBy(f, first) === 'desktop';
  return f.incident.resumedAt !== undefined;
}

/**
 * Sends the page logged after its connection had already closed (a frozen page's queued timer firing into a
 * closed socket; the browser drops them): they are not "lost on the path", so they leave the sends that the wire
 * should have shown and are kept apart as `sentIntoClosed`.
 */
export function withoutSendsIntoClosed(f: IncidentFacts): IncidentFacts {
  const firstClose = f.closes.length ? Math.min(...f.closes.map((c) => c.ts)) : undefined;
  if (firstClose === undefined) return f;
  const until = f.incident.resumedAt ?? Number.POSITIVE_INFINITY;
  const closed = (m: { ts: number }) => m.ts >= firstClose && m.ts < until;
  const into = f.appDuringWireSilence.c2s.filter(closed);
  if (!into.length) return f;
  return {
    ...f,
    appDuringWireSilence: { ...f.appDuringWireSilence, c2s: f.appDuringWireSilence.c2s.filter((m) => !closed(m)) },
    sentIntoClosed: into,
  };
}
