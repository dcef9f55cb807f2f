// Load-generator process for the connection benchmark (forked by run.ts; talks over IPC, see ipc.ts).
// It opens its share of desktops at a bounded rate, then drives all of them from ONE timer: a phase wheel fires
// each desktop's 4 s beat in its own slot, so the load is spread evenly over the period and the generator itself
// does not pay a timer per connection.
import type { FromLoadgen, LoadgenConfig, ToLoadgen, WindowReport } from './ipc.ts';
import { PhaseWheel } from './phase-wheel.ts';
import { type BenchConn, Recorder } from './recorder.ts';
import { SocketIoConn } from './socketio-load-client.ts';
import { closeSubscribePool, WxccConn } from './wxcc-load-client.ts';

const rec = new Recorder();
const conns: BenchConn[] = [];
let wheel: PhaseWheel<BenchConn> | undefined;
let beatTimer: NodeJS.Timeout | undefined;
let windowCpu: NodeJS.CpuUsage | undefined;
let windowStart = 0;

function reply(msg: FromLoadgen): void {
  process.send?.(msg);
}

async function openOne(cfg: LoadgenConfig, i: number): Promise<BenchConn> {
  const idx = cfg.offset + i;
  const localAddress = cfg.sourceAddresses.length ? cfg.sourceAddresses[idx % cfg.sourceAddresses.length] : undefined;
  if (cfg.kind === 'socketio') {
    const c = new SocketIoConn(idx, rec);
    await c.connect({ url: cfg.url, rec, localAddress, timeoutMs: cfg.connectTimeoutMs });
    return c;
  }
  const c = new WxccConn(idx, rec, cfg.silenceMs);
  await c.connect({
    httpUrl: cfg.url,
    token: cfg.tokenTemplate.replaceAll('{i}', String(idx)),
    idx,
    rec,
    silenceMs: cfg.silenceMs,
    localAddress,
    timeoutMs: cfg.connectTimeoutMs,
  });
  return c;
}

/**
 * Opens cfg.count desktops, starting at most ratePerSec per second and at most 64 at a time. "As far as it goes":
 * once cfg.rampBudgetMs has passed no new desktop is started; the ones in flight finish (each bounded by the connect
 * timeout) and the run goes on with the desktops that are connected.
 */
async function connectAll(cfg: LoadgenConfig): Promise<FromLoadgen> {
  const t0 = performance.now();
  const slotCount = Math.max(1, Math.round(cfg.keepaliveMs / Math.max(5, cfg.keepaliveMs / 80)));
  wheel = new PhaseWheel<BenchConn>(cfg.keepaliveMs, slotCount, t0);
  const w = wheel;
  beatTimer = setInterval(
    () => {
      w.advance(performance.now(), (c) => {
        if (!c.open) return false;
        c.beat(performance.now());
        return true;
      });
    },
    Math.max(5, Math.floor(cfg.keepaliveMs / slotCount)),
  );
  let started = 0;
  let done = 0;
  let failed = 0;
  let firstError: string | undefined;
  // Small: a handshake queued behind hundreds of others times out, and the server then wastes work on a dead socket.
  const maxInFlight = 64;
  const progress = setInterval(() => {
    process.stderr.write(
      `loadgen ${cfg.offset}: ${done - failed}/${cfg.count} connected, ${failed} failed, ${started - done} in flight, ${rec.subscribeRetries} retries\n`,
    );
  }, 10_000);
  let stopped = false;
  // Progress watch: the ramp also stops when no desktop has connected for 20 s (the machine cannot take more).
  let lastProgressAt = t0;
  let lastDone = 0;
  await new Promise<void>((resolve) => {
    const settle = () => {
      if (done === started && (stopped || done === cfg.count)) finish();
    };
    const launch = setInterval(() => {
      const t = performance.now();
      if (done - failed > lastDone) {
        lastDone = done - failed;
        lastProgressAt = t;
      }
      if (!stopped && (t - t0 > cfg.rampBudgetMs || t - lastProgressAt > 20_000)) {
        stopped = true;
        settle();
        return;
      }
      if (stopped) return;
      const due = Math.min(cfg.count, Math.floor(((performance.now() - t0) / 1000) * cfg.ratePerSec) + 1);
      while (started < due && started - done < maxInFlight) {
        const i = started++;
        openOne(cfg, i).then(
          (c) => {
            conns.push(c);
            // Phase by global index: desktops of all processes interleave over the period.
            w.add(c, c.idx);
            done++;
            settle();
          },
          (err: unknown) => {
            failed++;
            firstError ??= err instanceof Error ? err.message : String(err);
            done++;
            settle();
          },
        );
      }
    }, 5);
    let finished = false;
    function finish(): void {
      if (finished) return;
      finished = true;
      clearInterval(launch);
      clearInterval(progress);
      resolve();
    }
    if (cfg.count === 0) finish();
  });
  closeSubscribePool();
  return {
    type: 'connected',
    ok: conns.length,
    failed,
    ms: performance.now() - t0,
    retries: rec.subscribeRetries,
    notStarted: cfg.count - started,
    firstError,
  };
}

function failures() {
  return {
    unexpectedCloses: rec.unexpectedCloses,
    clientLosses: rec.clientLosses,
    closeReasons: Object.fromEntries(rec.closeReasons),
  };
}

/** Silences `count` open desktops spread evenly over this process's set, then waits for the server to drop them. */
async function silence(count: number, deadlineMs: number, silenceMs: number): Promise<FromLoadgen> {
  const open = conns.filter((c) => c.open);
  const step = Math.max(1, Math.floor(open.length / Math.max(1, count)));
  const chosen: BenchConn[] = [];
  for (let k = 0; k < open.length && chosen.length < count; k += step) chosen.push(open[k]);
  for (const c of chosen) c.silence();
  const until = performance.now() + deadlineMs;
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (chosen.every((c) => c.closedAt > 0) || performance.now() > until) {
        clearInterval(poll);
        resolve();
      }
    }, 50);
  });
  const errors: number[] = [];
  let undetected = 0;
  for (const c of chosen) {
    if (c.closedAt === 0) undetected++;
    else errors.push(c.closedAt - c.lastSentAt - silenceMs);
  }
  return { type: 'silenced', errors, undetected, failures: failures() };
}

let config: LoadgenConfig | undefined;

process.on('message', (raw: unknown) => {
  const msg = raw as ToLoadgen;
  void handle(msg).then(reply, (err: unknown) =>
    reply({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});

async function handle(msg: ToLoadgen): Promise<FromLoadgen> {
  switch (msg.type) {
    case 'connect':
      config = msg.config;
      return connectAll(msg.config);
    case 'window-start':
      rec.reset();
      rec.measuring = true;
      windowCpu = process.cpuUsage();
      windowStart = performance.now();
      return { type: 'window', report: emptyReport() };
    case 'window-end': {
      rec.measuring = false;
      const cpu = process.cpuUsage(windowCpu);
      const wall = performance.now() - windowStart;
      const report: WindowReport = {
        rtt: rec.rtt.slice(),
        serverGaps: rec.serverGaps.slice(),
        rttLost: rec.rttLost,
        open: conns.filter((c) => c.open).length,
        cpuPercent: wall > 0 ? ((cpu.user + cpu.system) / 1000 / wall) * 100 : 0,
      };
      return { type: 'window', report };
    }
    case 'silence':
      return silence(msg.count, msg.deadlineMs, config?.silenceMs ?? 16000);
    case 'close': {
      const f = failures();
      if (beatTimer) clearInterval(beatTimer);
      for (const c of conns) c.close();
      setTimeout(() => process.exit(0), 200).unref();
      return { type: 'closed', failures: f };
    }
  }
}

function emptyReport(): WindowReport {
  return { rtt: [], serverGaps: [], rttLost: 0, open: conns.length, cpuPercent: 0 };
}

process.on('disconnect', () => process.exit(0));
