// The live half of the traffic recorder (bench/traffic-recorder.ts forks this with NODE_EXTRA_CA_CERTS set):
// two Notifs servers on loopback — one plain, one behind a TLS-terminating front — and N real desktops
// (src/desktop's DesktopClient, `ws`) keeping their sockets alive for S seconds at production timers (4 s keepalives
// both ways), with notifications of realistic sizes and churn: desktops that reload (close handshake and a new
// connection), server-side closes for maintenance (4000-range close frames) and sockets killed outright.
// Config comes as one JSON argument; one JSON line of counts goes to stdout at the end.
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { DesktopClient } from '../src/desktop/desktop-client.ts';
import { startNotifsServer } from '../src/server/notifs-server.ts';
import { lcg } from './pcap-out.ts';

export interface TrafficLabConfig {
  desktops: number;
  seconds: number;
  /** Share of desktops that reach Notifs over TLS (wss://). */
  tlsShare: number;
  plainPort: number;
  tlsPort: number;
  certFile: string;
  keyFile: string;
  /** NSS key log of the TLS front (so the capture can be decrypted, as with SSLKEYLOGFILE). */
  keylogFile: string;
  /** Mean notifications per desktop per 4 s keepalive period. */
  notifyPer4s: number;
  /** Per desktop per minute: reloads, server closes, killed sockets. */
  churnPerMinute: number;
  seed: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as TrafficLabConfig;
const rnd = lcg(cfg.seed);
const counts = { desktops: 0, notifications: 0, reloads: 0, serverCloses: 0, kills: 0, reconnects: 0 };

/** A JSON notification of 0.3–3 KB, shaped like an agent or task event. */
function notification(i: number): { type: string; data: Record<string, unknown> } {
  const size = 300 + Math.floor(rnd() * 2700);
  const type = rnd() < 0.5 ? 'AgentStateChange' : 'AgentContactAssigned';
  const data = { type, eventTime: Date.now(), interactionId: `i-${i}`, note: 'x'.repeat(Math.max(0, size - 120)) };
  return { type, data };
}

/** TLS in front of the second server: the desktop's TLS ends here, plain TCP goes on to Notifs. */
function tlsFront(upstreamPort: number) {
  const keylog: Buffer[] = [];
  const front = createTlsServer(
    { cert: readFileSync(cfg.certFile), key: readFileSync(cfg.keyFile) },
    (tls: TLSSocket) => {
      const up: Socket = connect(upstreamPort, '127.0.0.1');
      tls.pipe(up).pipe(tls);
      const drop = () => {
        tls.destroy();
        up.destroy();
      };
      tls.on('error', drop);
      up.on('error', drop);
    },
  );
  front.on('keylog', (line) => keylog.push(line));
  return { front, keylog };
}

async function main(): Promise<void> {
  const plain = await startNotifsServer({ host: '127.0.0.1', port: cfg.plainPort });
  const hidden = await startNotifsServer({ host: '127.0.0.1', port: 0, publicUrl: `https://127.0.0.1:${cfg.tlsPort}` });
  const { front, keylog } = tlsFront(hidden.port);
  await new Promise<void>((resolve) => front.listen(cfg.tlsPort, '127.0.0.1', resolve));

  const agents: { id: string; server: typeof plain; url: string; client: DesktopClient }[] = [];
  const open = (id: string, tls: boolean) => {
    const server = tls ? hidden : plain;
    const url = tls ? `https://127.0.0.1:${cfg.tlsPort}` : plain.url;
    const client = new DesktopClient({ serverUrl: url, agentId: id, token: `agent:${id}` });
    client.on('state', (s) => {
      if (s.to === 'connected' && s.from !== 'connecting') counts.reconnects++;
    });
    client.start();
    return { id, server, url, client };
  };
  // Desktops arrive over the first tenth of the run, as agents log in.
  const rampMs = (cfg.seconds * 1000) / 10;
  for (let i = 0; i < cfg.desktops; i++) {
    agents.push(open(`agent-${i}`, rnd() < cfg.tlsShare));
    counts.desktops++;
    await new Promise((r) => setTimeout(r, rampMs / cfg.desktops));
  }

  // Once a second: notifications at the configured mean, and churn.
  let n = 0;
  const perSecond = (cfg.desktops * cfg.notifyPer4s) / 4;
  const churnPerSecond = (cfg.desktops * cfg.churnPerMinute) / 60;
  const tick = setInterval(() => {
    for (let k = 0; k < perSecond; k++) {
      const a = agents[Math.floor(rnd() * agents.length)];
      a.server.publish(a.id, notification(n++)).catch(() => {});
      counts.notifications++;
    }
    for (let k = 0; k < churnPerSecond; k++) churn(agents[Math.floor(rnd() * agents.length)]);
  }, 1000);

  const churn = (a: (typeof agents)[number]) => {
    const r = rnd();
    if (r < 0.4) {
      a.client.close('reload');
      const fresh = open(a.id, a.url !== plain.url);
      a.client = fresh.client;
      counts.reloads++;
    } else if (r < 0.75) {
      a.server.disconnect(a.id, { code: 4000, reason: 'maintenance' });
      counts.serverCloses++;
    } else {
      a.server.disconnect(a.id, { terminate: true });
      counts.kills++;
    }
  };

  await new Promise((r) => setTimeout(r, cfg.seconds * 1000));
  clearInterval(tick);
  for (const a of agents) a.client.close('end of recording');
  await new Promise((r) => setTimeout(r, 500));
  await Promise.all([plain.close(), hidden.close(), new Promise((r) => front.close(r))]);
  writeFileSync(cfg.keylogFile, Buffer.concat(keylog));
  process.stdout.write(`${JSON.stringify(counts)}\n`);
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`traffic-lab: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
