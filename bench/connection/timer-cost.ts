// Timer cost at scale, without sockets: what it costs a server process to (1) send each connection a heartbeat
// every 4 s and (2) drop a connection silent for 16 s, when every connection receives a message every 4 s.
// Three designs, each in a fresh process, same simulated traffic:
//   none      the traffic driver alone (the floor, subtracted from the others)
//   timers    per-connection timers, Socket.IO/engine.io style: a setTimeout re-armed after each heartbeat sent,
//             and clearTimeout + setTimeout of the silence timer on every received message
//   sweep     Lifeline's DeadlineSweep (src/server/deadline-sweep.ts): one setInterval, a received message only
//             writes a number; a connection is looked at when its slot comes due
// Prints one JSON line per run; `--md` prints a Markdown table.
//
// Usage: node --import tsx bench/connection/timer-cost.ts [--n 20000,100000] [--seconds 8] [--md]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { DeadlineSweep, type Sweepable } from '../../src/server/deadline-sweep.ts';

const KEEPALIVE_MS = 4000;
const SILENCE_MS = 16000;
const DRIVER_TICK_MS = 10;
type Mode = 'none' | 'timers' | 'sweep';

interface RunReport {
  mode: Mode;
  n: number;
  seconds: number;
  cpuMsPerSecond: number;
  messagesPerSecond: number;
  heartbeatsPerSecond: number;
  expired: number;
  heapMiB: number;
}

/** One simulated server process: returns when the measurement is done. */
async function simulate(mode: Mode, n: number, seconds: number): Promise<RunReport> {
  let heartbeats = 0;
  let messages = 0;
  let expired = 0;
  const now = () => performance.now();
  const start = now();

  class Conn implements Sweepable {
    wheelSlot?: number;
    lastRxAt = start;
    nextKeepaliveAt: number;
    heartbeatTimer?: NodeJS.Timeout;
    silenceTimer?: NodeJS.Timeout;
    closed = false;
    constructor(phase: number) {
      this.nextKeepaliveAt = start + phase;
    }
    nextDeadline(): number {
      return this.closed ? Number.POSITIVE_INFINITY : Math.min(this.lastRxAt + SILENCE_MS, this.nextKeepaliveAt);
    }
    onDeadline(t: number): void {
      if (t >= this.lastRxAt + SILENCE_MS) {
        this.closed = true;
        expired++;
        return;
      }
      if (t >= this.nextKeepaliveAt) {
        // As Lifeline's machine: due 4 s after the previous due time, so the cadence does not drift.
        this.nextKeepaliveAt += KEEPALIVE_MS;
        if (this.nextKeepaliveAt <= t) this.nextKeepaliveAt = t + KEEPALIVE_MS;
        heartbeats++;
      }
    }
  }

  const conns: Conn[] = [];
  const sweep = new DeadlineSweep<Conn>(250, now);
  for (let i = 0; i < n; i++) {
    const c = new Conn(((i % 400) / 400) * KEEPALIVE_MS);
    conns.push(c);
    if (mode === 'sweep') sweep.schedule(c);
    if (mode === 'timers') {
      const beat = () => {
        heartbeats++;
        c.heartbeatTimer = setTimeout(beat, KEEPALIVE_MS);
      };
      c.heartbeatTimer = setTimeout(beat, c.nextKeepaliveAt - start);
      c.silenceTimer = setTimeout(() => {
        c.closed = true;
        expired++;
      }, SILENCE_MS);
    }
  }
  if (mode === 'sweep') sweep.start();

  // The traffic: every connection receives one message per 4 s, spread evenly (1/400 of them every 10 ms).
  const onMessage = (c: Conn) => {
    messages++;
    c.lastRxAt = now();
    if (mode === 'timers') {
      clearTimeout(c.silenceTimer);
      c.silenceTimer = setTimeout(() => {
        c.closed = true;
        expired++;
      }, SILENCE_MS);
    }
    // sweep: nothing to do, the deadline moved later and the wheel will notice lazily.
  };
  let slot = 0;
  const driver = setInterval(() => {
    for (let i = slot; i < n; i += 400) onMessage(conns[i]);
    slot = (slot + 1) % 400;
  }, DRIVER_TICK_MS);

  // Warm up one keepalive period, then measure.
  await new Promise((r) => setTimeout(r, KEEPALIVE_MS));
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const m0 = messages;
  const h0 = heartbeats;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = (now() - t0) / 1000;
  clearInterval(driver);
  sweep.stop();
  for (const c of conns) {
    clearTimeout(c.heartbeatTimer);
    clearTimeout(c.silenceTimer);
  }
  return {
    mode,
    n,
    seconds: wall,
    cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / wall,
    messagesPerSecond: (messages - m0) / wall,
    heartbeatsPerSecond: (heartbeats - h0) / wall,
    expired,
    heapMiB: process.memoryUsage().heapUsed / 1048576,
  };
}

function markdown(reports: RunReport[]): string {
  const rows = [
    '| N | design | CPU ms / s | timer CPU ms / s (minus traffic only) | µs per connection per 4 s | heartbeats / s | expired (must be 0) |',
    '|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of reports) {
    const floor = reports.find((x) => x.n === r.n && x.mode === 'none');
    const timer = floor ? r.cpuMsPerSecond - floor.cpuMsPerSecond : Number.NaN;
    const perConn = (timer * 1000 * (KEEPALIVE_MS / 1000)) / r.n;
    rows.push(
      `| ${r.n} | ${r.mode} | ${r.cpuMsPerSecond.toFixed(1)} | ${r.mode === 'none' ? '—' : timer.toFixed(1)} | ${r.mode === 'none' ? '—' : perConn.toFixed(2)} | ${r.heartbeatsPerSecond.toFixed(0)} | ${r.expired} |`,
    );
  }
  return rows.join('\n');
}

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '20000,100000' },
    seconds: { type: 'string', default: '8' },
    mode: { type: 'string' },
    md: { type: 'boolean', default: false },
  },
});

if (values.mode) {
  // Child: one design, one N.
  const r = await simulate(values.mode as Mode, Number(values.n), Number(values.seconds));
  process.stdout.write(`${JSON.stringify(r)}\n`);
} else {
  const reports: RunReport[] = [];
  for (const n of values.n.split(',').map(Number)) {
    for (const mode of ['none', 'timers', 'sweep'] as Mode[]) {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', import.meta.filename, '--mode', mode, '--n', String(n), '--seconds', values.seconds],
        { encoding: 'utf8', timeout: (Number(values.seconds) + 60) * 1000 },
      );
      const r = JSON.parse(out.trim().split('\n').pop()!) as RunReport;
      reports.push(r);
      if (!values.md) process.stdout.write(`${JSON.stringify(r)}\n`);
    }
  }
  if (values.md) process.stdout.write(`${markdown(reports)}\n`);
}
