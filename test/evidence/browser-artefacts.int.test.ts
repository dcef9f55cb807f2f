// Real evidence made by a real browser: Debian's Chromium keeps a ws:// and a wss:// socket alive against local
// keepalive servers while we record, at the same time, a HAR from its DevTools protocol (HarRecorder), a NetLog
// (--log-net-log, Everything mode) and a tcpdump capture. The readers must agree on the same messages.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { launchChromium, launchChromiumServer } from '../../src/browser/chromium.ts';
import type { EvidenceResult, WsMessageEvent } from '../../src/events/types.ts';
import { HarRecorder } from '../../src/evidence/har-from-cdp.ts';
import { readEvidence } from '../../src/evidence/read-evidence.ts';
import { makeCert } from '../capture/tls/tls-lab.ts';
import { type KeepaliveServer, requireTool, startConnectProxy, startKeepaliveServer } from './helpers/keepalive-lab.ts';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-browser-ev-'));
const harFile = join(dir, 'session.har');
const netlogFile = join(dir, 'netlog.json');
const pcapFile = join(dir, 'lo.pcap');
let plain: KeepaliveServer;
let secure: KeepaliveServer;
let har: EvidenceResult;
let netlog: EvidenceResult;
let tcpdump: ChildProcess | undefined;

/** Wait for a child's stderr to say something, bounded. */
function waitForStderr(p: ChildProcess, re: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} (stderr: ${buf})`)), ms);
    p.stderr?.on('data', (d: Buffer) => {
      buf += d.toString();
      if (re.test(buf)) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ${re}: ${buf}`));
    });
  });
}

before(
  async () => {
    requireTool('openssl', 'openssl');
    requireTool('tcpdump', 'tcpdump');
    requireTool('chromium', 'chromium');
    const cert = makeCert({ cn: '127.0.0.1', ipAltName: '127.0.0.1', days: 1 });
    const tlsFiles = { key: cert.key.toString('utf8'), cert: cert.cert.toString('utf8') };
    cert.cleanup();
    plain = await startKeepaliveServer({ closeAfter: 8 });
    secure = await startKeepaliveServer({
      closeAfter: 8,
      tls: tlsFiles,
    });

    tcpdump = spawn(
      'tcpdump',
      ['-i', 'lo', '-U', '-n', '-w', pcapFile, `tcp port ${plain.port} or tcp port ${secure.port}`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    await waitForStderr(tcpdump, /listening on/, 10_000);

    const browser = await launchChromium([
      '--ignore-certificate-errors',
      `--log-net-log=${netlogFile}`,
      '--net-log-capture-mode=Everything',
    ]);
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      for (const srv of [plain, secure]) {
        const page = await context.newPage();
        const rec = new HarRecorder();
        await rec.attach(page);
        await page.goto(srv.url);
        // The page closes its socket after 8 messages from the server: wait for that, bounded.
        await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, undefined, {
          timeout: 20_000,
        });
        const h = rec.toHar() as { log: { entries: unknown[] } };
        const prev =
          srv === plain ? { log: { ...h.log, entries: [] as unknown[] } } : JSON.parse(readFileSync(harFile, 'utf8'));
        prev.log.entries.push(...h.log.entries);
        writeFileSync(harFile, JSON.stringify(prev, null, 1));
        await page.close();
      }
    } finally {
      await browser.close(); // a clean close writes the NetLog's closing bracket
    }
    const exited = new Promise<void>((resolve) => tcpdump!.on('exit', () => resolve()));
    tcpdump.kill('SIGINT');
    await exited;
    tcpdump = undefined;
    har = await readEvidence(harFile);
    netlog = await readEvidence(netlogFile);
  },
  { timeout: 90_000 },
);

after(
  async () => {
    tcpdump?.kill('SIGKILL');
    await plain?.close();
    await secure?.close();
  },
  { timeout: 10_000 },
);

const messages = (r: EvidenceResult, url: string) => {
  const conns = new Set(
    (r.meta.connections as { conn: string; url?: string }[]).filter((c) => c.url === url).map((c) => c.conn),
  );
  return r.events.filter(
    (e): e is WsMessageEvent => e.kind === 'ws-message' && e.conn !== undefined && conns.has(e.conn),
  );
};

function agree(a: WsMessageEvent[], b: WsMessageEvent[], label: string, toleranceMs: number): number {
  let worst = 0;
  for (const dir of ['c2s', 's2c'] as const) {
    const x = a.filter((e) => e.dir === dir);
    const y = b.filter((e) => e.dir === dir);
    assert.equal(x.length, y.length, `${label} ${dir}: ${x.length} vs ${y.length} messages`);
    for (let i = 0; i < x.length; i++) {
      assert.equal(x[i].cls, y[i].cls, `${label} ${dir} #${i} class`);
      assert.equal(x[i].length, y[i].length, `${label} ${dir} #${i} length`);
      const d = Math.abs(x[i].ts - y[i].ts);
      worst = Math.max(worst, d);
      assert.ok(d <= toleranceMs, `${label} ${dir} #${i}: ${d.toFixed(1)} ms apart`);
    }
  }
  return worst;
}

test('HAR (from CDP) and NetLog agree on every message of the ws:// and wss:// sockets', (t) => {
  assert.equal(har.kind, 'har');
  assert.equal(netlog.kind, 'netlog');
  assert.equal(netlog.format, 'netlog');
  for (const srv of [plain, secure]) {
    const h = messages(har, srv.wsUrl);
    // A server frame that crosses the desktop's Close is seen by the network stack (NetLog) but never handed to
    // the page, so DevTools (HAR) cannot have it: compare up to the desktop's Close.
    const conn = (netlog.meta.connections as { conn: string; url?: string }[]).find((c) => c.url === srv.wsUrl)!;
    const closeAt = netlog.events.find(
      (e) => e.conn === conn.conn && e.kind === 'ws-control' && e.op === 'close' && e.dir === 'c2s',
    )?.ts;
    assert.ok(closeAt !== undefined, 'the desktop close frame is in the NetLog');
    const n = messages(netlog, srv.wsUrl).filter((e) => e.ts <= closeAt);
    assert.ok(h.length >= 10, `HAR has the messages of ${srv.wsUrl}`);
    // The server counted what it received: every desktop keepalive shows in both files.
    assert.equal(h.filter((e) => e.dir === 'c2s').length, srv.counts.received);
    assert.ok(h.filter((e) => e.dir === 'c2s').every((e) => e.cls === 'keepalive'));
    assert.equal(h.filter((e) => e.dir === 's2c' && e.cls === 'welcome').length, 1);
    const worst = agree(h, n, srv.wsUrl, 150);
    t.diagnostic(`${srv.wsUrl}: ${h.length} messages, HAR vs NetLog worst ${worst.toFixed(2)} ms`);
  }
});

test('NetLog shows the pings and pongs the HAR is blind to, and the close', () => {
  assert.ok(har.meta.blindTo?.includes('ws-control'));
  for (const srv of [plain, secure]) {
    const conn = (netlog.meta.connections as { conn: string; url?: string }[]).find((c) => c.url === srv.wsUrl)!;
    const ctl = netlog.events.filter((e) => e.conn === conn.conn && e.kind === 'ws-control');
    assert.ok(ctl.some((e) => e.kind === 'ws-control' && e.op === 'ping' && e.dir === 's2c'));
    assert.ok(ctl.some((e) => e.kind === 'ws-control' && e.op === 'pong' && e.dir === 'c2s'));
    const close = netlog.events.find((e) => e.conn === conn.conn && e.kind === 'conn-close');
    assert.ok(close && close.kind === 'conn-close');
    assert.equal(close.by, 'desktop');
    assert.equal(close.wsCode, 1000);
    assert.equal(close.reason, 'done');
  }
});

test('the capture of the ws:// socket agrees with the NetLog (capture reader cross-check)', async (t) => {
  const cap = await readEvidence(pcapFile);
  assert.equal(cap.kind, 'capture');
  const n = messages(netlog, plain.wsUrl);
  const c = cap.events.filter(
    (e): e is WsMessageEvent =>
      e.kind === 'ws-message' && e.conn !== undefined && e.conn.endsWith(`127.0.0.1:${plain.port}`),
  );
  const worst = agree(n, c, 'netlog vs capture', 150);
  // The same capture gzipped (as support engineers often receive it) is detected inside and reads the same.
  const gz = join(dir, 'capture.bin');
  writeFileSync(gz, gzipSync(readFileSync(pcapFile)));
  const capGz = await readEvidence(gz);
  assert.equal(capGz.kind, 'capture');
  assert.equal(
    capGz.events.filter((e) => e.kind === 'ws-message').length,
    cap.events.filter((e) => e.kind === 'ws-message').length,
  );
  t.diagnostic(`capture vs NetLog worst ${worst.toFixed(2)} ms over ${c.length} messages`);
});

test('truncating the browser-made NetLog keeps the events before the cut', async () => {
  const text = readFileSync(netlogFile);
  const cutFile = join(dir, 'netlog-cut.json');
  writeFileSync(cutFile, text.subarray(0, Math.floor(text.length * 0.9)));
  const r = await readEvidence(cutFile);
  assert.equal(r.kind, 'netlog');
  assert.ok(r.problems.some((p) => p.code === 'NETLOG_TRUNCATED' && p.severity === 'warning'));
  assert.ok(r.events.length > 0);
});

test('a NetLog of a Chromium killed mid-session (SIGKILL) is read up to the cut', { timeout: 60_000 }, async () => {
  const file = join(dir, 'killed-netlog.json');
  const server = await launchChromiumServer([`--log-net-log=${file}`, '--net-log-capture-mode=Everything']);
  const exited = new Promise<void>((resolve) => server.process().on('exit', () => resolve()));
  try {
    const browser = await chromium.connect(server.wsEndpoint());
    const page = await browser.newPage();
    await page.goto(plain.url);
    await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, undefined, {
      timeout: 20_000,
    });
  } finally {
    // Kill the whole process group we launched (browser, renderer, network service) at once, as a crash or the
    // OOM killer would: killing only the browser process lets the network service finish the file cleanly.
    const pid = server.process().pid;
    try {
      if (pid !== undefined) process.kill(-pid, 'SIGKILL');
    } catch {
      server.process().kill('SIGKILL');
    }
    await exited;
  }
  const r = await readEvidence(file);
  assert.equal(r.kind, 'netlog');
  assert.equal(r.format, 'netlog-truncated');
  const p = r.problems.find((x) => x.code === 'NETLOG_TRUNCATED');
  assert.ok(p && p.severity === 'warning' && typeof p.offset === 'number');
  assert.equal(r.problems.filter((x) => x.severity === 'error').length, 0);
  const conn = (r.meta.connections as { conn: string; url?: string }[]).find((c) => c.url === plain.wsUrl);
  assert.ok(conn, 'the WebSocket is in the cut log');
  assert.ok(r.events.some((e) => e.kind === 'ws-message' && e.conn === conn.conn && e.cls === 'welcome'));
});

test('through an HTTP CONNECT proxy the NetLog still pairs frames with payloads; the peer is the proxy', {
  timeout: 60_000,
}, async () => {
  const srv = await startKeepaliveServer({ closeAfter: 6 });
  const proxy = await startConnectProxy({ host: '127.0.0.1', port: srv.port });
  const file = join(dir, 'proxy-netlog.json');
  const wsUrl = `ws://notifs.lab.test:${srv.port}/v1/notification/subscription/lab`;
  const browser = await launchChromium([
    `--proxy-server=http://127.0.0.1:${proxy.port}`,
    `--log-net-log=${file}`,
    '--net-log-capture-mode=Everything',
  ]);
  try {
    const page = await browser.newPage();
    // The page itself is on loopback (not proxied); its socket goes to a name only the proxy can reach.
    await page.goto(`http://127.0.0.1:${srv.port}/?ws=${encodeURIComponent(wsUrl)}`);
    await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, undefined, {
      timeout: 20_000,
    });
  } finally {
    await browser.close();
    await proxy.close();
    await srv.close();
  }
  assert.ok(proxy.tunnels() >= 1, 'the socket went through the proxy');
  const r = await readEvidence(file);
  const conn = (r.meta.connections as { conn: string; url?: string; ip?: string; port?: number }[]).find(
    (c) => c.url === wsUrl,
  );
  assert.ok(conn);
  assert.equal(conn.ip, '127.0.0.1');
  assert.equal(conn.port, proxy.port);
  const msgs = r.events.filter((e): e is WsMessageEvent => e.kind === 'ws-message' && e.conn === conn.conn);
  assert.equal(msgs.filter((e) => e.dir === 'c2s').length, srv.counts.received);
  assert.ok(
    msgs.every((e) => e.text !== undefined),
    'payloads decoded through the tunnel',
  );
  assert.equal(msgs.filter((e) => e.cls === 'welcome').length, 1);
});
