// The browser Agent Desktop (served at /desktop/ as client.js, bundled by esbuild at runtime). Configuration comes
// from the page URL: ?agentId=…&token=…[&server=URL][&timer=main][&keepaliveMs=…&silenceMs=…&recoveryMs=…].
// Exposes window.lifeline = {client, state, notifications, errorReport()} for tests and the fault lab.
import type { ErrorReportV1 } from '../protocol/error-report-schema.ts';
import { formatPosition } from '../protocol/stream-position.ts';
import { DesktopClientCore, type DesktopClientOptions } from './client-core.ts';
import { WorkerTickSource } from './keepalive-worker.ts';
import { type SocketLike, type TickSource, TimeoutTickSource } from './socket-adapter.ts';

interface LifelineGlobal {
  client?: DesktopClientCore;
  state: string;
  timer: 'worker' | 'main';
  notifications: { type: string; data: unknown; position?: { epoch: string; seq: number } }[];
  errorReport(): ErrorReportV1 | undefined;
  error?: string;
}

declare global {
  interface Window {
    lifeline: LifelineGlobal;
  }
}

const q = new URLSearchParams(location.search);
/** The serving Notifs' own timers, used when the URL does not set them. */
const serverDefaults: Record<string, unknown> = (() => {
  try {
    return JSON.parse(document.querySelector('meta[name="lifeline-defaults"]')?.getAttribute('content') ?? '{}');
  } catch {
    return {};
  }
})();
const num = (k: string): number | undefined => {
  const v = q.get(k) ?? (typeof serverDefaults[k] === 'number' ? String(serverDefaults[k]) : null);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};
const $ = (id: string) => document.getElementById(id)!;

const timerKind: 'worker' | 'main' = q.get('timer') === 'main' ? 'main' : 'worker';
const g: LifelineGlobal = {
  state: 'idle',
  timer: timerKind,
  notifications: [],
  errorReport: () => g.client?.errorReport(),
};
window.lifeline = g;

function setBanner(state: string, reason: string): void {
  const b = $('banner');
  b.className = `banner ${state}`;
  b.textContent = `${label(state)} — ${reason}`;
}

function label(state: string): string {
  switch (state) {
    case 'connected':
      return 'Connected';
    case 'recovering':
      return 'Reconnecting…';
    case 'connecting':
      return 'Connecting…';
    case 'lost':
      return 'Connection lost';
    case 'closed':
      return 'Closed';
    default:
      return state;
  }
}

function addLine(listId: string, text: string, max = 50): void {
  const list = $(listId);
  const li = document.createElement('li');
  li.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`;
  list.prepend(li);
  while (list.childElementCount > max) list.lastElementChild?.remove();
}

function main(): void {
  const agentId = q.get('agentId') ?? q.get('agent') ?? '';
  const token = q.get('token') ?? '';
  if (!agentId || !token) {
    g.error = 'missing agentId or token in the page URL';
    setBanner('closed', 'add ?agentId=<id>&token=<token> to the URL');
    return;
  }
  const opts: DesktopClientOptions = { serverUrl: q.get('server') ?? location.origin, agentId, token };
  const k = num('keepaliveMs');
  const s = num('silenceMs');
  const r = num('recoveryMs');
  const c = num('connectTimeoutMs');
  if (k !== undefined) opts.keepaliveMs = k;
  if (s !== undefined) opts.silenceMs = s;
  if (r !== undefined) opts.recoveryMs = r;
  if (c !== undefined) opts.connectTimeoutMs = c;
  if (s !== undefined)
    opts.backoff = { baseMs: Math.min(1000, Math.max(50, s / 4)), capMs: Math.min(5000, Math.max(100, s)) };
  let timer: TickSource;
  try {
    timer = timerKind === 'worker' ? new WorkerTickSource() : new TimeoutTickSource('main');
  } catch {
    timer = new TimeoutTickSource('main'); // Workers unavailable: fall back, and the report says 'main'
    g.timer = 'main';
  }
  const client = new DesktopClientCore(opts, {
    runtime: 'browser',
    userAgent: navigator.userAgent,
    timer,
    socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
  });
  g.client = client;
  $('agent').textContent = agentId;
  $('timer').textContent = g.timer;
  const reconnect = $('reconnect') as HTMLButtonElement;
  reconnect.addEventListener('click', () => client.reconnectNow());
  client.on('state', (e) => {
    g.state = e.to;
    reconnect.hidden = e.to !== 'lost';
    setBanner(e.to, e.reason);
    addLine('events', `${e.to}: ${e.reason}`);
  });
  client.on('notification', (n) => {
    g.notifications.push(n);
    if (g.notifications.length > 1000) g.notifications.shift();
    addLine('notifications', `${n.type} ${formatPosition(n.position)} ${JSON.stringify(n.data ?? null).slice(0, 200)}`);
  });
  client.on('resume', (res) =>
    addLine(
      'events',
      res.recovered ? `resumed, ${res.replayed} replayed` : `resumed INCOMPLETE: ${JSON.stringify(res.missing)}`,
    ),
  );
  client.on('gap', (m) => addLine('events', `gap: ${m.reason} ${m.epoch}:${m.fromSeq}..${m.toSeq ?? ''}`));

  // Lifecycle evidence for the report (the seed's "desktop stopped sending" signature needs it).
  if ((document as Document & { wasDiscarded?: boolean }).wasDiscarded) client.lifecycle('discarded');
  document.addEventListener('visibilitychange', () => client.lifecycle(document.hidden ? 'hidden' : 'visible'));
  document.addEventListener('freeze', () => client.lifecycle('freeze'));
  document.addEventListener('resume', () => client.lifecycle('resume'));
  window.addEventListener('online', () => client.lifecycle('online'));
  window.addEventListener('offline', () => client.lifecycle('offline'));

  $('download').addEventListener('click', () => {
    const blob = new Blob([JSON.stringify(client.errorReport(), null, 1)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `lifeline-error-report-${agentId}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  });
  client.start();
}

main();
