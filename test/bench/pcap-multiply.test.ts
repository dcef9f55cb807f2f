import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { multiplyCapture } from '../../bench/pcap-multiply.ts';

const SERVER_PORT = 8080;

function checksum(b: Buffer, from: number, to: number, sum = 0): number {
  for (let i = from; i + 1 < to; i += 2) sum += b.readUInt16BE(i);
  if ((to - from) & 1) sum += b[to - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A TCP checksum over the pseudo-header; 0 when the stored checksum is right. */
function tcpCheck(frame: Buffer): number {
  const ip = 14;
  const tcp = ip + 20;
  const pseudo = Buffer.alloc(12);
  frame.copy(pseudo, 0, ip + 12, ip + 20);
  pseudo[9] = 6;
  pseudo.writeUInt16BE(frame.length - tcp, 10);
  let sum = 0;
  for (let i = 0; i < 12; i += 2) sum += pseudo.readUInt16BE(i);
  return checksum(frame, tcp, frame.length, sum);
}

/** Ethernet + IPv4 + TCP (+ payload) with correct IPv4 and TCP checksums. */
function frame(src: number, dst: number, sport: number, dport: number, flags: number, payload: string): Buffer {
  const data = Buffer.from(payload);
  const f = Buffer.alloc(14 + 20 + 20 + data.length);
  f.writeUInt16BE(0x0800, 12);
  const ip = 14;
  f[ip] = 0x45;
  f.writeUInt16BE(20 + 20 + data.length, ip + 2);
  f[ip + 8] = 64;
  f[ip + 9] = 6;
  f.writeUInt32BE(src >>> 0, ip + 12);
  f.writeUInt32BE(dst >>> 0, ip + 16);
  f.writeUInt16BE(checksum(f, ip, ip + 20), ip + 10);
  const tcp = ip + 20;
  f.writeUInt16BE(sport, tcp);
  f.writeUInt16BE(dport, tcp + 2);
  f.writeUInt32BE(1000, tcp + 4);
  f[tcp + 12] = 5 << 4;
  f[tcp + 13] = flags;
  f.writeUInt16BE(65535, tcp + 14);
  data.copy(f, tcp + 20);
  f.writeUInt16BE(tcpCheck(f), tcp + 16);
  assert.equal(tcpCheck(f), 0);
  return f;
}

function pcap(frames: { t: number; f: Buffer }[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const recs = frames.map(({ t, f }) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(Math.floor(t), 0);
    r.writeUInt32LE(Math.round((t % 1) * 1e6), 4);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([head, ...recs]);
}

const LOOP = (127 << 24) | 1;

test('each copy is shifted past the last, its desktop end readdressed, checksums still right', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lifeline-multiply-'));
  try {
    const base = path.join(dir, 'base.pcap');
    const t0 = 1_800_000_000;
    writeFileSync(
      base,
      pcap([
        { t: t0, f: frame(LOOP, LOOP, 50000, SERVER_PORT, 0x02, '') },
        { t: t0 + 0.5, f: frame(LOOP, LOOP, SERVER_PORT, 50000, 0x12, '') },
        { t: t0 + 3.2, f: frame(LOOP, LOOP, 50000, SERVER_PORT, 0x18, '{"keepalive":"true"}') },
        { t: t0 + 7.9, f: frame(LOOP, LOOP, SERVER_PORT, 50000, 0x18, 'odd length!') },
      ]),
    );
    const out = path.join(dir, 'out.pcap');
    multiplyCapture(base, out, 3, [SERVER_PORT]);
    const b = readFileSync(out);
    const packets: { sec: number; src: number; dst: number; frame: Buffer }[] = [];
    for (let o = 24; o < b.length; ) {
      const len = b.readUInt32LE(o + 8);
      const f = b.subarray(o + 16, o + 16 + len);
      packets.push({ sec: b.readUInt32LE(o), src: f.readUInt32BE(26), dst: f.readUInt32BE(30), frame: f });
      o += 16 + len;
    }
    assert.equal(packets.length, 12);
    for (let k = 0; k < 3; k++) {
      const client = ((127 << 24) | (1 << 16) | k) >>> 0;
      const copy = packets.slice(k * 4, k * 4 + 4);
      // The span is 7.9 s → copies 13 s apart (ceil + 5 s).
      assert.equal(copy[0].sec, t0 + k * 13);
      assert.deepEqual(
        copy.map((p) => [p.src, p.dst]),
        [
          [client, LOOP],
          [LOOP, client],
          [client, LOOP],
          [LOOP, client],
        ],
      );
      for (const p of copy) {
        assert.equal(checksum(p.frame, 14, 34), 0, 'IPv4 header checksum');
        assert.equal(tcpCheck(p.frame), 0, 'TCP checksum');
      }
    }
    // tshark as the oracle: three conversations, not one folded together.
    const conv = execFileSync('tshark', ['-r', out, '-q', '-z', 'conv,tcp'], { encoding: 'utf8' });
    assert.equal(conv.split('\n').filter((l) => l.includes('<->')).length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
