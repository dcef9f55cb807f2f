// The golden scenarios: one world per cause (see world.ts), projected onto evidence variants.
// `npm`-free regeneration: `node --import tsx test/diagnose/make-fixtures.ts` rewrites test/fixtures/diagnose/*.evidence.json.
import type { EvidenceResult } from '../../src/events/types.ts';
import { healthy, keepalives, T0, toCapture, toDeviceLog, toHar, toReport, type WMsg, type World } from './world.ts';

export type Variant = 'har' | 'capture' | 'report' | 'all';
export interface Scenario {
  name: string;
  world: World;
  variants: Partial<Record<Variant, (w: World) => EvidenceResult[]>>;
}

const std = {
  har: (w: World) => [toHar(w)],
  capture: (w: World) => [toCapture(w)],
  report: (w: World) => [toReport(w)],
  all: (w: World) => [toHar(w), toReport(w), toCapture(w), toDeviceLog(w)],
};

/** Desktop tab hidden; its timer fires once a minute; Notifs drops the socket after 16 s without keepalive. */
const throttled: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50001,
      close: { t: 56.5, how: 'ws-close', by: 'server', code: 4000, reason: 'silence timeout' },
    },
    { n: 2, open: 100, port: 50002 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 56), ...healthy(2, 100, 140)],
  end: 140,
  lifecycle: [{ t: -30, what: 'hidden' }],
  drift: [{ t: 100, lateMs: 56_000, expectedMs: 4000 }],
  states: [
    { t: 100, state: 'recovering', reason: 'closed 4000' },
    { t: 100.4, state: 'connected' },
  ],
};

/** PC sleeps 90 s: nothing either way; at wake-up the desktop sees the wall-clock jump and replaces the socket. */
const asleep: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50011,
      close: { t: 130, how: 'ws-close', by: 'desktop', code: 4010, reason: 'sleep detected' },
    },
    { n: 2, open: 131, port: 50012 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 131, 170)],
  end: 170,
  drift: [{ t: 130, lateMs: 86_000, wallJumpMs: 86_000 }],
  lifecycle: [{ t: 130, what: 'sleep-detected' }],
};

/** Desktop → Notifs packets vanish after the browser (not on the PC's wire); the server closes for silence. */
const outbound: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50021,
      close: { t: 56.5, how: 'ws-close', by: 'server', code: 4000, reason: 'silence timeout' },
    },
    { n: 2, open: 60, port: 50022 },
  ],
  msgs: [
    ...keepalives('c2s', 1, 0, 41),
    ...keepalives('c2s', 1, 44, 57, 4, { wireT: null, acked: false }),
    ...keepalives('s2c', 1, 2, 56),
    ...healthy(2, 60, 100),
  ],
  end: 100,
};

/** Notifs → desktop data dies on the path (ACKs pass): the desktop keeps sending, gives up at 16 s. */
const inboundMsgs: WMsg[] = [
  ...keepalives('c2s', 1, 0, 41),
  ...keepalives('c2s', 1, 44, 57, 4),
  ...keepalives('s2c', 1, 2, 41),
  ...keepalives('s2c', 1, 42, 57, 4, { appT: null, wireT: null }),
  ...healthy(2, 61, 100),
];
const inbound: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50031,
      close: { t: 56.8, how: 'ws-close', by: 'desktop', code: 4000, reason: 'no message from Notifs' },
    },
    { n: 2, open: 61, port: 50032 },
  ],
  msgs: inboundMsgs,
  end: 100,
  // The reconnect attempt dies the same way: its SYN-ACK never arrives.
  fails: [{ t: 58, stage: 'tcp', error: 'connect ETIMEDOUT' }],
};

/** Both directions die on the path; each side retransmits (PC capture and server capture). */
const blackhole: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50041,
      close: { t: 56.8, how: 'ws-close', by: 'desktop', code: 4000, reason: 'no message from Notifs', onWire: false },
    },
    { n: 2, open: 70, port: 50042 },
  ],
  msgs: [
    ...keepalives('c2s', 1, 0, 41),
    ...keepalives('c2s', 1, 44, 57, 4, { acked: false }),
    ...keepalives('s2c', 1, 2, 41),
    ...keepalives('s2c', 1, 42, 57, 4, { appT: null, wireT: null, acked: false }),
    ...healthy(2, 70, 110),
  ],
  end: 110,
  retrans: [
    { t: 45, dir: 'c2s', conn: 1 },
    { t: 48, dir: 'c2s', conn: 1 },
    { t: 43, dir: 's2c', conn: 1 },
    { t: 46, dir: 's2c', conn: 1 },
  ],
};

/** Notifs' TCP stack ACKs the desktop's keepalives but the application sends nothing. */
const stalled: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50051,
      close: { t: 56.8, how: 'ws-close', by: 'desktop', code: 4000, reason: 'no message from Notifs' },
    },
    { n: 2, open: 61, port: 50052 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 57), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 61, 100)],
  end: 100,
};

/** Notifs → desktop held for 14 s on the path, then delivered at once (below the silence timeout). */
const delayedMsgs: WMsg[] = [
  ...keepalives('c2s', 1, 0, 80),
  ...keepalives('s2c', 1, 2, 41),
  ...[42, 46, 50].map((t, i) => ({
    t,
    dir: 's2c' as const,
    cls: 'keepalive' as const,
    conn: 1,
    len: 20,
    appT: 53.5 + i * 0.05,
    wireT: 53.5 + i * 0.05,
  })),
  ...keepalives('s2c', 1, 54, 80),
];
const delayed: World = { conns: [{ n: 1, open: -10, port: 50061 }], msgs: delayedMsgs, end: 80 };

/** Stream positions arrive out of order. */
const reordered: World = {
  conns: [{ n: 1, open: -10, port: 50071 }],
  msgs: [
    ...keepalives('c2s', 1, 0, 60),
    ...keepalives('s2c', 1, 2, 60),
    ...[1, 2, 3, 4, 6, 5, 7, 8].map((seq, i) => ({
      t: 10 + i * 3 + 0.7,
      dir: 's2c' as const,
      cls: 'notification' as const,
      conn: 1,
      len: 90,
      seq,
    })),
  ],
  end: 60,
};

/** An RST claiming to be the server, but with another TTL (a firewall's); the device logs the reset. */
const rstMiddlebox: World = {
  conns: [
    { n: 1, open: -10, port: 50081, close: { t: 40.5, how: 'rst', by: 'server', ttl: 255, expectedTtl: 52 } },
    { n: 2, open: 45, port: 50082 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 45, 90)],
  end: 90,
  device: [{ t: 40.5, action: 'teardown', cause: 'reset-device', reason: 'TCP Reset-O from outside', conn: 1 }],
};

/** The server's own stack resets (TTL as its other packets). */
const rstServer: World = {
  conns: [
    { n: 1, open: -10, port: 50091, close: { t: 40.5, how: 'rst', by: 'server', ttl: 52, expectedTtl: 52 } },
    { n: 2, open: 45, port: 50092 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 45, 90)],
  end: 90,
  device: [{ t: 40.52, action: 'teardown', cause: 'reset-server', reason: 'TCP Reset-O', conn: 1 }],
};

/** Notifs closes (server restart) with no silence before; the desktop reconnects. */
const closedServer: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50101,
      close: { t: 40.5, how: 'ws-close', by: 'server', code: 4001, reason: 'server restart' },
    },
    { n: 2, open: 43, port: 50102 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 43, 90)],
  end: 90,
};

/** Another login: Notifs sends the multi-login notice and closes 4409; the desktop does not reconnect. */
const multiLogin: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50111,
      close: { t: 40.5, how: 'ws-close', by: 'server', code: 4409, reason: 'multi-login' },
    },
  ],
  msgs: [
    ...keepalives('c2s', 1, 0, 41),
    ...keepalives('s2c', 1, 2, 41),
    { t: 40.4, dir: 's2c', cls: 'multilogin', conn: 1, len: 60, text: '{"type":"AgentMultiLoginCloseSession"}' },
  ],
  end: 120,
};

/** The agent signs out: the desktop closes 1000 with no silence before. */
/** The agent signs out: the desktop closes a healthy socket with 1000 and does not reconnect — a normal end. */
const signOut: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50121,
      close: { t: 40.5, how: 'ws-close', by: 'desktop', code: 1000, reason: 'sign out' },
    },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41)],
  end: 60,
};

/** The desktop application closes its own healthy socket with an error (1011) and opens a new one. */
const closedDesktop: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50122,
      close: { t: 40.5, how: 'ws-close', by: 'desktop', code: 1011, reason: 'client error' },
    },
    { n: 2, open: 43, port: 50123 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 43, 90)],
  end: 90,
};

/** The socket errors; reconnects fail (DNS, then SYN timeouts) for 20 s, then one succeeds. */
const connectFail: World = {
  conns: [
    { n: 1, open: -10, port: 50131, close: { t: 40.5, how: 'error', by: 'unknown', appHow: 'error' } },
    { n: 2, open: 66, port: 50132 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 66, 100)],
  end: 100,
  fails: [
    { t: 45, stage: 'dns', error: 'getaddrinfo ENOTFOUND api.wxcc-us1.cisco.com' },
    { t: 50, stage: 'tcp', error: 'connect ETIMEDOUT' },
    { t: 55, stage: 'tcp', error: 'connect ETIMEDOUT' },
    { t: 60, stage: 'tcp', error: 'connect ETIMEDOUT' },
  ],
};

/** Evidence cut short: a capture that stopped while the connection was still silent. */
function truncated(r: EvidenceResult, endSec: number): EvidenceResult {
  const cut = T0 + endSec * 1000;
  const events = r.events.filter((e) => e.ts <= cut);
  return { ...r, events, meta: { ...r.meta, lastTs: cut } };
}

/** The report says the desktop sent nothing; the capture shows desktop data on the wire meanwhile (contradiction). */
const throttledContradicted: World = {
  ...throttled,
  msgs: [...throttled.msgs, ...keepalives('c2s', 1, 44, 56, 4, { appT: null })],
};

/** Hostile captured strings: markup, script, terminal escapes, a token, a huge line. */
export const HOSTILE_TEXT = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">\u001b[31mRED';
const hostile: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50141,
      close: {
        t: 40.5,
        how: 'ws-close',
        by: 'server',
        code: 4001,
        reason: `${HOSTILE_TEXT} token=SECRET123 ${'A'.repeat(100_000)}`,
      },
    },
    { n: 2, open: 43, port: 50142 },
  ],
  msgs: [
    ...keepalives('c2s', 1, 0, 41),
    ...keepalives('s2c', 1, 2, 41),
    {
      t: 20.5,
      dir: 's2c',
      cls: 'notification',
      conn: 1,
      len: 120,
      text: `${HOSTILE_TEXT} Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig`,
    },
    ...healthy(2, 43, 90),
  ],
  end: 90,
};

/** Notifs shuts down (4001) and refuses reconnects for a while (the lab's connect-failure). */
const connectRefused: World = {
  conns: [
    {
      n: 1,
      open: -10,
      port: 50151,
      close: { t: 40.5, how: 'ws-close', by: 'server', code: 4001, reason: 'server shutdown' },
    },
    { n: 2, open: 70, port: 50152 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 70, 100)],
  end: 100,
  fails: [45, 50, 55, 60, 65].map((t) => ({ t, stage: 'tcp' as const, error: 'connect ECONNREFUSED 52.1.2.3:443' })),
};

export const SCENARIOS: Scenario[] = [
  { name: 'desktop-throttled', world: throttled, variants: std },
  { name: 'desktop-asleep', world: asleep, variants: std },
  { name: 'outbound-loss', world: outbound, variants: std },
  { name: 'inbound-loss', world: inbound, variants: std },
  {
    name: 'path-blackhole',
    world: blackhole,
    variants: {
      har: std.har,
      capture: (w) => [toCapture(w), toCapture(w, { side: 'server' })],
      all: (w) => [toHar(w), toReport(w), toCapture(w), toCapture(w, { side: 'server' })],
    },
  },
  { name: 'server-stalled', world: stalled, variants: std },
  { name: 'delayed', world: delayed, variants: std },
  { name: 'reordered', world: reordered, variants: std },
  { name: 'reset-by-middlebox', world: rstMiddlebox, variants: { ...std, capture: (w) => [toCapture(w)] } },
  { name: 'reset-by-server', world: rstServer, variants: std },
  { name: 'closed-by-server', world: closedServer, variants: std },
  { name: 'closed-by-server-multilogin', world: multiLogin, variants: std },
  { name: 'closed-by-desktop', world: closedDesktop, variants: std },
  { name: 'session-end-signout', world: signOut, variants: std },
  { name: 'connect-failure', world: connectFail, variants: std },
  {
    name: 'connect-failure-refused',
    world: connectRefused,
    variants: { har: std.har, report: std.report, all: std.all },
  },
  // Partial, contradictory and skewed evidence.
  {
    name: 'inbound-loss-truncated',
    world: inbound,
    variants: { capture: (w) => [truncated(toCapture(w), 60)] },
  },
  {
    name: 'desktop-throttled-contradicted',
    world: throttledContradicted,
    variants: { all: (w) => [toReport(w), toCapture(w)] },
  },
  {
    // HAR 1.5 s ahead, device log on local time (+1 h) with 5-tuples, report 2 min behind.
    name: 'reset-by-middlebox-skewed',
    world: rstMiddlebox,
    variants: {
      all: (w) => [
        toHar(w, { offsetMs: 1500 }),
        toReport(w, { offsetMs: -120_000 }),
        toCapture(w),
        toDeviceLog(w, { offsetMs: 3_600_000 }),
      ],
    },
  },
  {
    // Device log 2 min off and without 5-tuples: aligned by connection timing only, flagged clockUncertain.
    name: 'reset-by-middlebox-device-notuple',
    world: rstMiddlebox,
    variants: { all: (w) => [toCapture(w), toDeviceLog(w, { offsetMs: 120_000, tuple: false })] },
  },
  { name: 'hostile-strings', world: hostile, variants: { har: std.har, all: (w) => [toHar(w), toCapture(w)] } },
  // Encrypted capture only (no keys): messages are TLS records; the keepalive rhythm finds the connection.
  { name: 'desktop-throttled-tls', world: throttled, variants: { capture: (w) => [toCapture(w, { tls: true })] } },
];
