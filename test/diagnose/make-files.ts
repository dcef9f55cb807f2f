// Writes real evidence *files* (not reader output) for the CLI tests, from the scenario worlds:
// a Lifeline error report (schema lifeline.error-report v1) and a Chrome HAR with _webSocketMessages.
//   node --import tsx test/diagnose/make-files.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import type { ErrorReportV1, ReportEntry } from '../../src/protocol/error-report-schema.ts';
import { FIXTURE_DIR } from './fixtures.ts';
import { SCENARIOS } from './scenarios.ts';
import { HOST, T0, type World } from './world.ts';

const dir = new URL('files/', FIXTURE_DIR);
mkdirSync(dir, { recursive: true });
const ms = (s: number) => Math.round(T0 + s * 1000);

function report(w: World): ErrorReportV1 {
  const entries: ReportEntry[] = [];
  const mono = (t: number) => t - T0 + 5000;
  const push = (e: ReportEntry) => entries.push(e);
  for (const c of w.conns) {
    const t = ms(c.open + 0.3);
    push({ t, m: mono(t), conn: c.n, kind: 'state', from: 'connecting', to: 'connected', reason: 'welcome' });
    if (c.close) {
      const tc = ms(c.close.t + 0.01);
      push({
        t: tc,
        m: mono(tc),
        conn: c.n,
        kind: 'close',
        code: c.close.code ?? 1006,
        reason: c.close.reason ?? '',
        wasClean: c.close.how === 'ws-close',
        by: c.close.by === 'middlebox' ? 'unknown' : c.close.by,
      });
    }
  }
  for (const m of w.msgs) {
    if (m.appT === null) continue;
    const t = ms(m.appT ?? m.t);
    push({
      t,
      m: mono(t),
      conn: m.conn,
      kind: m.dir === 'c2s' ? 'sent' : 'received',
      type: m.cls,
      size: m.len ?? 20,
      ...(m.seq !== undefined ? { seq: m.seq, epoch: 'e1' } : {}),
    });
  }
  for (const d of w.drift ?? []) {
    const t = ms(d.t);
    push({
      t,
      m: mono(t) - (d.wallJumpMs ?? 0),
      kind: 'drift',
      timer: d.timer ?? 'main',
      expectedMs: d.expectedMs ?? 4000,
      actualMs: (d.expectedMs ?? 4000) + d.lateMs,
      lateMs: d.lateMs,
      wallJumpMs: d.wallJumpMs ?? 0,
    });
  }
  for (const l of w.lifecycle ?? []) push({ t: ms(l.t), m: mono(ms(l.t)), kind: 'lifecycle', what: l.what });
  for (const f of w.fails ?? [])
    push({
      t: ms(f.t),
      m: mono(ms(f.t)),
      kind: 'reconnect',
      attempt: 1,
      delayMs: 5000,
      error: f.error,
      stage: f.stage === 'http' ? 'subscribe' : f.stage,
    });
  entries.sort((a, b) => a.t - b.t);
  return {
    schema: 'lifeline.error-report',
    version: 1,
    createdAt: ms(w.end),
    agentId: 'agent-1',
    clientId: 'client-1',
    runtime: 'browser',
    serverUrl: `https://${HOST}/v1/notification/subscription/s1?token=SECRET-IN-URL`,
    config: { keepaliveMs: 4000, silenceMs: 16000, recoveryMs: 50000, keepaliveTimer: 'main' },
    clock: { wallAtStart: T0, monoAtStart: 5000 },
    entries,
    dropped: 0,
    totals: {
      sent: 0,
      received: 0,
      keepalivesSent: 0,
      keepalivesReceived: 0,
      reconnects: w.conns.length - 1,
      notificationsDelivered: 0,
      duplicatesDropped: 0,
    },
  };
}

function har(w: World): unknown {
  const entries = w.conns.map((c) => ({
    _resourceType: 'websocket',
    connection: String(1000 + c.n),
    startedDateTime: new Date(ms(c.open)).toISOString(),
    time: 300,
    request: {
      method: 'GET',
      url: `wss://${HOST}/v1/notification/subscription/s${c.n}`,
      httpVersion: 'HTTP/1.1',
      headers: [{ name: 'Authorization', value: 'Bearer SECRET-HEADER' }],
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: 0,
    },
    response: {
      status: 101,
      statusText: 'Switching Protocols',
      httpVersion: 'HTTP/1.1',
      headers: [],
      cookies: [],
      content: { size: 0, mimeType: 'x-unknown' },
      redirectURL: '',
      headersSize: -1,
      bodySize: 0,
    },
    serverIPAddress: '52.1.2.3',
    timings: { blocked: 1, dns: -1, connect: 100, ssl: 80, send: 0, wait: 199, receive: 0 },
    cache: {},
    _webSocketMessages: [
      ...w.msgs
        .filter((m) => m.conn === c.n && m.appT !== null)
        .map((m) => ({
          type: m.dir === 'c2s' ? 'send' : 'receive',
          time: ms(m.appT ?? m.t) / 1000,
          opcode: 1,
          data: m.text ?? JSON.stringify({ type: 'AgentStateChange', seq: m.seq ?? 0 }),
        })),
      ...(c.close && c.close.how !== 'ws-close'
        ? [{ type: 'error', time: ms(c.close.t) / 1000, opcode: 1, data: 'net::ERR_CONNECTION_RESET' }]
        : []),
    ].sort((a, b) => a.time - b.time),
  }));
  return { log: { version: '1.2', creator: { name: 'WebInspector', version: '537.36' }, pages: [], entries } };
}

const world = (name: string) => SCENARIOS.find((s) => s.name === name)!.world;
writeFileSync(
  new URL('throttled.report.json', dir),
  `${JSON.stringify(report(world('desktop-throttled')), null, 1)}\n`,
);
writeFileSync(new URL('inbound-loss.har', dir), `${JSON.stringify(har(world('inbound-loss')), null, 1)}\n`);
writeFileSync(new URL('garbage.bin', dir), 'this is not evidence of anything\n');
