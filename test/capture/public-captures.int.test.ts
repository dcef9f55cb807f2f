// Every file of ../shared/corpora/public-captures (Zeek's and tcpdump's test traces) read by Lifeline and by tshark
// 4.0 as the oracle: packets, per-packet tcp.analysis flags, TCP conversations, WebSocket frames, decrypted TLS, and
// for each WebSocket trace the first close frame (frame, sender, code) among the capture's events. Where Lifeline
// deliberately differs, the difference is listed per file in EXPECTED with its reason (docs/capture.md, "Public
// traces"); nothing else is tolerated. Skipped with a printed reason when the shared corpus is absent.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { CaptureAnalyzer } from '../../src/capture/analysis/capture-analyzer.ts';
import { analyzeCapture, captureToEvents, tlsSessionHook } from '../../src/capture/capture-events.ts';
import { decodePacket } from '../../src/capture/decode/decode-packet.ts';
import { openCapture } from '../../src/capture/open-capture.ts';
import { newDecodedPacket } from '../../src/capture/packet.ts';
import { emptyKeyLog, mergeKeyLogInto, parseKeyLog } from '../../src/capture/tls/keylog.ts';
import { TlsSession } from '../../src/capture/tls/tls-session.ts';
import type { TimelineEvent } from '../../src/events/types.ts';
import { ourFlags } from './analysis/compare.ts';
import {
  requireTool,
  tsharkConversations,
  tsharkCount,
  tsharkFlags,
  tsharkPayloadBytes,
  tsharkWebSocket,
} from './analysis/tshark.ts';

const CORPUS = new URL('../../../shared/corpora/public-captures/', import.meta.url).pathname;
const present = existsSync(CORPUS);
if (!present) console.log(`# public-captures tests skipped: ${CORPUS} not found (clone outside the shared workspace)`);

/** Key logs (NSS format) for the captures that have one (README: converted from Zeek's own `.keys` file). */
const KEYLOGS: Record<string, string> = {
  'zeek-tls-tls-1.2-stream-keylog.pcap': 'zeek-tls-1.2-stream.nss-keylog',
};
/** Files in the folder that are not captures, and why they are there. */
const NOT_CAPTURES: Record<string, string> = {
  'README.md': 'the corpus description',
  'zeek-tls-1.2-stream.nss-keylog': 'key log of zeek-tls-tls-1.2-stream-keylog.pcap',
  'zeek-tls-1.2-stream-keylog.keys': "Zeek's own key format, the source of the NSS key log",
};

/** A documented difference from tshark on one file: which comparison, the exact values each side gives, and why. */
interface Expected {
  /** frame number → [ours, tshark] canonical flag strings ('' = none). */
  flags?: Record<number, [string, string]>;
  /** "src:port>dst:port" → [ours, tshark] TCP payload bytes. */
  bytes?: Record<string, [number, number]>;
  reason: string;
}
const EXPECTED: Record<string, Expected> = {
  'tcpdump-heapoverflow-tcp_print.pcap': {
    bytes: { '48.48.48.48:12336>48.48.48.48:12336': [0, 12256] },
    reason:
      'one 262144-byte frame saved with a 64-byte snaplen: its 60-byte TCP header (options) is cut after 30 bytes. ' +
      'Lifeline decodes no TCP header it does not have whole (the packet is counted as truncated, no flow); tshark ' +
      'reads the fixed 20 bytes and shows tcp.len 12256 from the IP length, but lists no conversation either.',
  },
};

const isCapture = (f: string) => /\.(pcap|pcapng|pcap\.gz)$/.test(f);

/** "ip:port" of a flow key side, brackets removed (tshark prints IPv6 without them in -T fields). */
function endpoints(key: string): [string, string] {
  const m = /^(.*:\d+)-(.*:\d+)$/.exec(key);
  if (!m) throw new Error(`bad flow key ${key}`);
  return [m[1].replace(/^\[(.*)\]:/, '$1:'), m[2].replace(/^\[(.*)\]:/, '$1:')];
}
/** tshark prints conversation endpoints as ip:port, IPv6 unbracketed. */
const pair = (a: string, b: string) => [a, b].sort().join(' <-> ');

/** Byte offset of each record → its 1-based frame number (events carry offsets; engineers quote frame numbers). */
async function framesByOffset(file: string): Promise<Map<number, number>> {
  const src = await openCapture(file);
  const m = new Map<number, number>();
  for await (const r of src) m.set(r.offset, r.frame);
  return m;
}

/** Byte count and SHA-256 of a direction's plaintext. */
function digest(parts: Buffer[]): string {
  const all = Buffer.concat(parts);
  return `${all.length} ${createHash('sha256').update(all).digest('hex')}`;
}

/** tshark's decrypted TLS stream (follow,tls,raw) per direction: byte count and SHA-256 of the plaintext. */
function tsharkTlsPlaintext(file: string, keylog: string, stream: number): { c2s: string; s2c: string } {
  const out = execFileSync(
    'tshark',
    ['-r', file, '-o', `tls.keylog_file:${keylog}`, '-q', '-z', `follow,tls,raw,${stream}`],
    { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const parts = { c2s: [] as Buffer[], s2c: [] as Buffer[] };
  for (const line of out.split('\n')) {
    const m = /^(\t?)([0-9a-f]+)$/.exec(line);
    if (m) parts[m[1] ? 's2c' : 'c2s'].push(Buffer.from(m[2], 'hex'));
  }
  return { c2s: digest(parts.c2s), s2c: digest(parts.s2c) };
}

/**
 * Our decrypted plaintext per TLS connection (in order of first record, numbered like tshark's tcp.stream when each
 * TLS flow is one stream), per direction: the analyzer fed as capture-events.ts feeds it, with a tap on the hook.
 */
async function ourTlsPlaintext(
  file: string,
  keylogFile: string,
): Promise<Record<string, { c2s: string; s2c: string }>> {
  const keylog = emptyKeyLog();
  mergeKeyLogInto(keylog, parseKeyLog(readFileSync(keylogFile, 'utf8'), keylogFile));
  const conns: { c2s: Buffer[]; s2c: Buffer[] }[] = [];
  const analyzer = new CaptureAnalyzer({
    source: file,
    tlsHook: () => {
      const hook = tlsSessionHook(new TlsSession(keylog));
      const parts = { c2s: [] as Buffer[], s2c: [] as Buffer[] };
      conns.push(parts);
      return {
        onTlsRecord(dir, contentType, version, body, ts) {
          const plain = hook.onTlsRecord(dir, contentType, version, body, ts);
          if (plain) parts[dir].push(Buffer.from(plain));
          return plain;
        },
      };
    },
  });
  const src = await openCapture(file);
  const pkt = newDecodedPacket();
  for await (const rec of src) analyzer.add(decodePacket(rec, pkt));
  analyzer.finish();
  return Object.fromEntries(conns.map((c, i) => [String(i), { c2s: digest(c.c2s), s2c: digest(c.s2c) }]));
}

describe('public captures (Zeek, tcpdump) against tshark', { skip: present ? false : 'corpus not present' }, () => {
  const all = present ? readdirSync(CORPUS).sort() : [];
  const captures = all.filter(isCapture);
  before(() => requireTool('tshark', 'tshark'));

  it('every file of the folder is a capture or an accounted-for side file', () => {
    assert.deepEqual(
      all.filter((f) => !isCapture(f)),
      Object.keys(NOT_CAPTURES).sort(),
    );
    assert.ok(captures.length >= 29, `${captures.length} captures`);
    for (const f of Object.keys(EXPECTED)) assert.ok(captures.includes(f), `EXPECTED names a missing file ${f}`);
  });

  for (const name of captures) {
    const file = join(CORPUS, name);
    const expected = EXPECTED[name];

    it(`${name}: packets and per-packet tcp.analysis flags equal tshark's`, async () => {
      const ours = await ourFlags(file);
      assert.equal(ours.packets, tsharkCount(file), 'packets');
      const theirs = tsharkFlags(file);
      const diff: Record<number, [string, string]> = {};
      for (const fr of new Set([...ours.flags.keys(), ...theirs.keys()])) {
        const a = ours.flags.get(fr) ?? '';
        const b = theirs.get(fr) ?? '';
        if (a !== b) diff[fr] = [a, b];
      }
      assert.deepEqual(diff, expected?.flags ?? {}, 'flags that differ from tshark (frame: [ours, tshark])');
    });

    it(`${name}: TCP conversations equal tshark's (endpoints, frames and payload bytes each way)`, async () => {
      const { table } = await ourFlags(file);
      const ourBytes = new Map<string, number>();
      const ours = table.flows
        .map((f) => {
          const [c, s] = endpoints(f.key);
          const [a] = [c, s].sort();
          const aFrames = a === c ? f.dirs[0].packets : f.dirs[1].packets;
          ourBytes.set(`${c}>${s}`, (ourBytes.get(`${c}>${s}`) ?? 0) + f.dirs[0].payloadBytes);
          ourBytes.set(`${s}>${c}`, (ourBytes.get(`${s}>${c}`) ?? 0) + f.dirs[1].payloadBytes);
          return `${pair(c, s)} ${aFrames}/${f.dirs[0].packets + f.dirs[1].packets - aFrames}`;
        })
        .sort();
      const theirs = tsharkConversations(file)
        .map((c) => {
          const [a, b] = [c.a, c.b].sort();
          const aFrames = a === c.a ? c.aFrames : c.bFrames;
          return `${pair(a, b)} ${aFrames}/${c.frames - aFrames}`;
        })
        .sort();
      assert.deepEqual(ours, theirs, 'conversations: endpoints and frames each way');
      const theirBytes = tsharkPayloadBytes(file);
      for (const k of theirBytes.keys()) if (!ourBytes.has(k)) ourBytes.set(k, 0);
      for (const k of ourBytes.keys()) if (!theirBytes.has(k)) theirBytes.set(k, 0);
      const diff: Record<string, [number, number]> = {};
      for (const [k, v] of ourBytes) if (v !== theirBytes.get(k)) diff[k] = [v, theirBytes.get(k) ?? 0];
      assert.deepEqual(diff, expected?.bytes ?? {}, 'TCP payload bytes that differ per direction ([ours, tshark])');
    });

    it(`${name}: WebSocket frames equal tshark's (frame, sender, opcode, length)`, async () => {
      const ours: string[] = [];
      await analyzeCapture(file, {
        keepEvents: false,
        onWsFrame: (conn, dir, opcode, len, frame) => {
          const [c, s] = endpoints(conn);
          const [src, dst] = dir === 'c2s' ? [c, s] : [s, c];
          ours.push(`${frame} ${src}>${dst} op${opcode} ${len}`);
        },
      });
      const theirs = tsharkWebSocket(file).map(
        (f) => `${f.frame} ${f.src}:${f.srcPort}>${f.dst}:${f.dstPort} op${f.opcode} ${f.len}`,
      );
      // The oracle itself must see the WebSocket traces (a renamed tshark field would make both sides empty).
      if (/websocket/.test(name)) assert.ok(theirs.length > 0, 'tshark shows WebSocket frames');
      assert.deepEqual(ours, theirs);
    });

    it(`${name}: the first WebSocket close (frame, sender, code) is in the events as tshark shows it`, async () => {
      const out = execFileSync(
        'tshark',
        ['-r', file, '-Y', 'websocket.opcode==8', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src']
          .concat(['-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'websocket.payload.close.status_code'])
          .concat(['-E', 'occurrence=f']),
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const first = out.split('\n').find((l) => l !== '');
      const r = await captureToEvents(file);
      const closes = r.events.filter(
        (e): e is Extract<TimelineEvent, { kind: 'ws-control' }> => e.kind === 'ws-control' && e.op === 'close',
      );
      const wsClose = r.events.find((e) => e.kind === 'conn-close' && e.how === 'ws-close');
      if (first === undefined) {
        assert.equal(closes.length, 0, 'tshark shows no close frame');
        assert.equal(wsClose, undefined);
        return;
      }
      const [frame, ip4, ip6, port, code] = first.split('\t');
      assert.ok(closes.length > 0, `tshark shows a close in frame ${frame}`);
      const c = closes[0];
      const byFrame = await framesByOffset(file);
      const [client, server] = endpoints(c.conn ?? '');
      assert.deepEqual(
        {
          frame: byFrame.get(c.offset ?? -1),
          sender: c.dir === 'c2s' ? client : server,
          code: c.code === undefined ? '' : String(c.code),
        },
        { frame: Number(frame), sender: `${ip4 || ip6}:${port}`, code },
      );
      assert.ok(wsClose && wsClose.kind === 'conn-close');
      assert.equal(wsClose.by, c.dir === 'c2s' ? 'desktop' : 'server');
      assert.equal(wsClose.wsCode, c.code);
    });
  }

  for (const [name, keylog] of Object.entries(KEYLOGS)) {
    it(`${name} with its key log: decrypted TLS plaintext equals tshark's, both directions`, async () => {
      const file = join(CORPUS, name);
      const kl = join(CORPUS, keylog);
      const ours = await ourTlsPlaintext(file, kl);
      assert.deepEqual(Object.keys(ours), ['0'], 'one TLS connection');
      assert.deepEqual(ours['0'], tsharkTlsPlaintext(file, kl, 0));
      assert.ok(!ours['0'].c2s.startsWith('0 ') && !ours['0'].s2c.startsWith('0 '), 'plaintext both ways');
    });
  }
});
