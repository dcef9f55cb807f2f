// A benchmark corpus shaped like the world (issue 16 §2): real desktops against real Notifs on loopback, captured by
// tcpdump, then multiplied to any size (bench/pcap-multiply.ts: each copy shifted past the previous one in time and
// given its own desktop address — editcap can shift but not readdress, and copies with the same 5-tuples would be
// folded into the same conversations by readers and tshark alike). bench/desktops-gen.ts stays the synthetic bulk
// generator; every capture figure in BENCHMARKS.md is given for both.
//
//   node --import tsx bench/traffic-recorder.ts OUT.pcap [--desktops 150] [--seconds 60] [--tls-share 0.2]
//        [--notify 1] [--churn 0.5] [--size-mib N] [--seed 1]
//
// Writes OUT.pcap (the recording, or the multiplied file when --size-mib is given: the recording is kept as
// OUT.base.pcap) and OUT.keys (the TLS front's NSS key log: `lifeline capture inspect OUT.pcap --keylog OUT.keys`).
// Needs root for tcpdump on lo (the project's scripts install tcpdump and openssl).
// Files go where OUT says (/tmp is a good place), never into the repository.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCapture } from '../src/lab/tcpdump.ts';
import { multiplyCapture } from './pcap-multiply.ts';
import type { TrafficLabConfig } from './traffic-lab.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0, got ${args[i + 1]}`);
  return v;
}

function require(tool: string, pkg: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${tool} is required: apt-get install ${pkg} (scripts/setup-system.sh installs it)`);
  }
}

/** A free loopback port (the capture filter must name the ports before anything listens on them). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'],
      ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** Runs the live lab (servers + desktops) in a child that trusts the test certificate; resolves to its counts. */
function runLab(cfg: TrafficLabConfig): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'traffic-lab.ts'), JSON.stringify(cfg)], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cfg.certFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    // Bounded: the run's own length plus a margin for ramp-up and shutdown.
    const guard = setTimeout(() => child.kill('SIGKILL'), (cfg.seconds + 60) * 1000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      if (code !== 0) reject(new Error(`traffic-lab exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}'));
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const out = args[0];
  if (!out || out.startsWith('--')) {
    process.stderr.write('usage: traffic-recorder.ts OUT.pcap [--desktops N] [--seconds S] [--size-mib N] …\n');
    process.exit(2);
  }
  for (const [tool, pkg] of [
    ['tcpdump', 'tcpdump'],
    ['editcap', 'wireshark-common'],
    ['openssl', 'openssl'],
  ])
    require(tool, pkg);
  const sizeMiB = option(args, '--size-mib', 0);
  const dir = mkdtempSync(path.join(tmpdir(), 'lifeline-traffic-'));
  const { cert, key } = selfSignedCert(dir);
  const cfg: TrafficLabConfig = {
    desktops: option(args, '--desktops', 150),
    seconds: option(args, '--seconds', 60),
    tlsShare: option(args, '--tls-share', 0.2),
    notifyPer4s: option(args, '--notify', 1),
    churnPerMinute: option(args, '--churn', 0.5),
    seed: option(args, '--seed', 1),
    plainPort: await freePort(),
    tlsPort: await freePort(),
    certFile: cert,
    keyFile: key,
    keylogFile: out.replace(/\.pcap$/, '') + '.keys',
  };
  const recording = sizeMiB ? out.replace(/\.pcap$/, '') + '.base.pcap' : out;
  const filter = `tcp port ${cfg.plainPort} or tcp port ${cfg.tlsPort}`;
  process.stderr.write(`recording ${cfg.desktops} desktops for ${cfg.seconds} s (${filter}) → ${recording}\n`);
  const capture = await startCapture({ file: path.join(dir, 'rec.pcap'), iface: 'lo', filter });
  let counts: Record<string, number>;
  try {
    counts = await runLab(cfg);
  } finally {
    await capture.stop();
  }
  // tcpdump writes pcap with its own snaplen; keep the file as tcpdump wrote it.
  renameSync(path.join(dir, 'rec.pcap'), recording);
  process.stderr.write(`recorded ${(statSync(recording).size / 2 ** 20).toFixed(1)} MiB: ${JSON.stringify(counts)}\n`);
  if (sizeMiB) {
    const copies = Math.max(1, Math.ceil((sizeMiB * 2 ** 20) / statSync(recording).size));
    multiplyCapture(recording, out, copies, [cfg.plainPort, cfg.tlsPort]);
    process.stderr.write(`${out}: ${copies} time-shifted copies, ${(statSync(out).size / 2 ** 20).toFixed(0)} MiB\n`);
  }
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`traffic-recorder: ${(err as Error).message}\n`);
  process.exit(1);
});
