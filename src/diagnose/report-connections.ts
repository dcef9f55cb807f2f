// An incident's Notifs connections in words, once for the HTML and Markdown reports: the 5-tuple, TLS SNI, when
// it opened, each close frame (who sent it, code, reason) and how it ended, with frame numbers beside the times.
import { iso } from './duration.ts';
import type { ConnMoment, NotifsConnection } from './incident-connections.ts';

export interface ConnectionView {
  source: string;
  endpoints: string;
  tls: string;
  opened: string;
  closeFrames: string;
  ended: string;
}

export const CONNECTION_COLUMNS = ['source', 'connection', 'TLS SNI / host', 'opened', 'close frames', 'ended'];

/** `2026-11-25T10:00:00.000Z (frame 12)`: frame numbers are what engineers quote from Wireshark. */
export function when(m: ConnMoment): string {
  return m.frame !== undefined ? `${iso(m.ts)} (frame ${m.frame})` : iso(m.ts);
}

export function connectionView(c: NotifsConnection): ConnectionView {
  const endpoints =
    c.client && c.server
      ? `${c.transport ?? 'tcp'} ${c.client} → ${c.server}`
      : c.server
        ? `→ ${c.server} (${c.conn})`
        : c.conn;
  const tls = c.sni ? `SNI ${c.sni}` : c.host ? `host ${c.host}` : '—';
  const opened = c.opened ? `${when(c.opened)}, ${c.opened.layer}` : `first seen ${when(c.first)}`;
  const closeFrames = c.closeFrames.length
    ? c.closeFrames
        .map(
          (f) =>
            `${f.by === 'unknown' ? 'sender unknown' : `by ${f.by}`}${f.code !== undefined ? ` code ${f.code}` : ''}${f.reason ? ` "${f.reason}"` : ''} at ${when(f)}`,
        )
        .join('; ')
    : 'none seen';
  const ended = c.ended
    ? `${c.ended.how}${c.ended.by ? ` by ${c.ended.by}` : ''} at ${when(c.ended)}`
    : `last seen ${when(c.last)}`;
  return { source: c.source, endpoints, tls, opened, closeFrames, ended };
}
