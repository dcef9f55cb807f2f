// Real captures of real loopback traffic, written by tcpdump (pcap µs and ns) and dumpcap (pcapng), read plain,
// gzipped and from stdin, and checked against tshark frame by frame and against the bytes the test itself sent.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createReadStream } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { decodePacket } from '../../../src/capture/decode/decode-packet.ts';
import { openCapture } from '../../../src/capture/open-capture.ts';
import { newDecodedPacket, TCP_ACK, TCP_SYN } from '../../../src/capture/packet.ts';
import type { CaptureSource } from '../../../src/capture/sources/capture-source.ts';
import { tsharkFields } from '../analysis/tshark.ts';

const run = promisify(execFile);
const PACKAGE: Record<string, string> = { tcpdump: 'tcpdump', dumpcap: 'wireshark-common', tshark: 'tshark' };
const MESSAGES = ['hello', 'keepalive-1', 'keepalive-2', 'x'.repeat(3000)];

/** Starts a capture tool and resolves once it says it is capturing. */
function startCapture(tool: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${tool} did not start capturing within 10 s: ${err}`));
    }, 10_000);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new Error(`${tool} is missing: apt-get install ${PACKAGE[tool]}`) : (e as Error));
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (ready.test(err)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${tool} exited (${code}) before capturing: ${err}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('capture tool did not exit within 10 s of SIGINT')), 10_000);
    child.removeAllListeners('exit');
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT');
  });
}

/** One TCP echo session (closed by both sides) followed by a UDP "END" marker, all to `port` on 127.0.0.1. */
async function traffic(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = connect(port, '127.0.0.1');
    let got = '';
    const want = MESSAGES.join('');
    c.on('data', (d) => {
      got += d.toString();
      if (got.length >= want.length) c.end();
    });
    c.on('connect', () => {
      for (const m of MESSAGES) c.write(m);
    });
    c.on('close', () => resolve());
    c.on('error', reject);
  });
}

async function sendEnd(port: number): Promise<void> {
  const u = createSocket('udp4');
  await new Promise<void>((resolve, reject) => u.send('END', port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  u.close();
}

interface Seen {
  records: string[];
  c2s: string;
  s2c: string;
  syn?: { mss: number; wscale: number; sackPermitted: boolean; hasTs: boolean };
  end: boolean;
}

async function readCapture(src: CaptureSource, port: number): Promise<Seen> {
  const out = newDecodedPacket();
  const seen: Seen = { records: [], c2s: '', s2c: '', end: false };
  const dec = new TextDecoder();
  await src.forEachRecord((r) => {
    seen.records.push(`${r.frame} ${r.tsNs} ${r.caplen} ${r.origLen}`);
    decodePacket(r, out);
    if (out.l4 === 6) {
      if (out.tcp.flags === TCP_SYN && out.dstPort === port) {
        const t = out.tcp;
        seen.syn = { mss: t.mss, wscale: t.wscale, sackPermitted: t.sackPermitted, hasTs: t.hasTs };
      }
      if (out.dstPort === port) seen.c2s += dec.decode(out.payload);
      else if (out.srcPort === port) seen.s2c += dec.decode(out.payload);
    } else if (out.l4 === 17 && out.dstPort === port && dec.decode(out.payload) === 'END') seen.end = true;
  });
  return seen;
}

/** Sends the END marker until the capture file shows it (a datagram was seen lost on this busy machine once). */
async function waitForEnd(file: string, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let i = 0; ; i++) {
    if (i % 4 === 0) await sendEnd(port);
    const seen = await openCapture(file).then(
      (s) => readCapture(s, port),
      () => null,
    );
    if (seen?.end) return;
    if (Date.now() > deadline)
      throw new Error(
        `the END marker never reached ${file} within 10 s (${seen?.records.length} frames: ${seen?.records})`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function tsharkRecords(file: string): Promise<string[]> {
  const stdout = await tsharkFields(file, ['frame.number', 'frame.time_epoch', 'frame.cap_len', 'frame.len']);
  return stdout
    .trim()
    .split('\n')
    .map((l) => {
      const [n, t, cap, len] = l.split('\t');
      const [s, f] = t.split('.');
      return `${n} ${BigInt(s) * 1_000_000_000n + BigInt(f.padEnd(9, '0'))} ${cap} ${len}`;
    });
}

const VARIANTS = [
  {
    name: 'tcpdump pcap (µs)',
    tool: 'tcpdump',
    format: 'pcap',
    args: (f: string, p: number) => ['-i', 'lo', '-n', '--immediate-mode', '-U', '-w', f, 'port', String(p)],
  },
  {
    name: 'tcpdump pcap (ns)',
    tool: 'tcpdump',
    format: 'pcap-ns',
    args: (f: string, p: number) => [
      '-i',
      'lo',
      '-n',
      '--immediate-mode',
      '--time-stamp-precision=nano',
      '-U',
      '-w',
      f,
      'port',
      String(p),
    ],
  },
  {
    name: 'dumpcap pcapng',
    tool: 'dumpcap',
    format: 'pcapng',
    args: (f: string, p: number) => ['-i', 'lo', '-q', '-w', f, '-f', `port ${p}`],
  },
];

describe('captures made by tcpdump / dumpcap on lo', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-cap-'));
    // tcpdump drops root privileges to its own user before creating the output file.
    await chmod(dir, 0o777);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const v of VARIANTS) {
    it(`${v.name}: plain, gzipped and stdin read the same frames as tshark, with the bytes sent`, {
      timeout: 60_000,
    }, async () => {
      const server = createServer((s) => s.on('data', (d) => s.write(d)).on('end', () => s.end()));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const udp = createSocket('udp4');
      await new Promise<void>((r) => udp.bind(port, '127.0.0.1', r));
      const file = join(dir, `${v.format}-${port}.cap`);
      const child = await startCapture(v.tool, v.args(file, port), v.tool === 'tcpdump' ? /listening on/ : /File: /);
      try {
        await traffic(port);
        await waitForEnd(file, port);
      } catch (e) {
        await stop(child);
        const { stdout } = await run('tshark', ['-r', file]).catch(() => ({ stdout: 'tshark failed' }));
        throw new Error(`${(e as Error).message}\nafter stop:\n${stdout}`);
      } finally {
        if (child.exitCode === null) await stop(child);
        server.close();
        udp.close();
      }
      const src = await openCapture(file);
      const seen = await readCapture(src, port);
      assert.equal(src.format, v.format);
      assert.deepEqual(src.problems, []);
      assert.deepEqual(seen.records, await tsharkRecords(file));
      assert.equal(seen.c2s, MESSAGES.join(''));
      assert.equal(seen.s2c, MESSAGES.join(''));
      assert.deepEqual(seen.syn && { ...seen.syn, wscale: seen.syn.wscale >= 0 }, {
        mss: 65495,
        wscale: true,
        sackPermitted: true,
        hasTs: true,
      });
      assert.equal(seen.end, true);
      if (v.format === 'pcap') assert.ok(seen.records.every((r) => BigInt(r.split(' ')[1]) % 1000n === 0n));

      const gz = `${file}.gz`;
      await writeFile(gz, gzipSync(await readFile(file)));
      const fromGz = await openCapture(gz, { chunkSize: 4096 });
      assert.equal(fromGz.gzip, true);
      assert.deepEqual((await readCapture(fromGz, port)).records, seen.records);
      for (const f of [file, gz]) {
        const fromStdin = await openCapture('-', { stdin: createReadStream(f, { highWaterMark: 1000 }) });
        assert.deepEqual((await readCapture(fromStdin, port)).records, seen.records, `stdin ${f}`);
        assert.equal(fromStdin.problems.length, 0);
      }
      void TCP_ACK;
    });
  }
});
