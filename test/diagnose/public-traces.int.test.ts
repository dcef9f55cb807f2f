// "Who closed" on evidence Lifeline did not make: on every WebSocket trace of the public corpus (Zeek's test traces,
// ../shared/corpora/public-captures), the side the troubleshooter says closed must be the side of the first close
// frame tshark shows — a session end by the desktop, or a closed-by-desktop / closed-by-server verdict. None of these
// traces is Notifs: the diagnosis must also say so, and never advise a backend ticket for them.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { readEvidence } from '../../src/evidence/read-evidence.ts';
import { tsharkFields } from '../capture/analysis/tshark.ts';

const CORPUS = new URL('../../../shared/corpora/public-captures/', import.meta.url).pathname;
const present = existsSync(CORPUS);
if (!present) console.log(`# public-trace tests skipped: ${CORPUS} not found (clone outside the shared workspace)`);

type Side = 'client' | 'server';

/** tshark: the first close frame's sender, as client (the side that sent the SYN) or server. */
async function firstCloseSide(file: string): Promise<Side | undefined> {
  const syn = await tsharkFields(file, [
    'tcp.stream',
    'ip.src',
    'ipv6.src',
    'tcp.srcport',
    'tcp.flags.syn',
    'tcp.flags.ack',
  ]);
  const clients = new Map<string, string>();
  for (const l of syn.trim().split('\n')) {
    const [stream, ip4, ip6, port, s, a] = l.split('\t');
    if (s === '1' && a === '0' && !clients.has(stream)) clients.set(stream, `${ip4 || ip6}:${port}`);
  }
  const closes = await tsharkFields(file, ['tcp.stream', 'ip.src', 'ipv6.src', 'tcp.srcport', 'websocket.opcode']);
  for (const l of closes.trim().split('\n')) {
    const [stream, ip4, ip6, port, ops] = l.split('\t');
    if (!(ops ?? '').split(',').includes('8')) continue;
    const client = clients.get(stream);
    // Without a SYN in the trace, the listener is the side on the well-known port.
    if (!client) return Number(port) < 1024 || port === '8080' || port === '8888' ? 'server' : 'client';
    return client === `${ip4 || ip6}:${port}` ? 'client' : 'server';
  }
  return undefined;
}

function ourSide(d: ReturnType<typeof diagnose>['diagnosis']): Side | undefined {
  const ends = d.sessionEnds.map((e) => ({ ts: e.ts, side: 'client' as Side }));
  const closes = d.incidents
    .filter((i) => i.cause === 'closed-by-desktop' || i.cause === 'closed-by-server')
    .map((i) => ({ ts: i.start, side: (i.cause === 'closed-by-desktop' ? 'client' : 'server') as Side }));
  return [...ends, ...closes].sort((a, b) => a.ts - b.ts)[0]?.side;
}

describe('public WebSocket traces: who closed', { skip: !present }, () => {
  const files = present
    ? readdirSync(CORPUS)
        .filter((f) => /websocket/.test(f) && /\.pcap(ng)?(\.gz)?$/.test(f))
        .sort()
    : [];
  it('the corpus has WebSocket traces', () => assert.ok(files.length >= 8, String(files.length)));
  for (const name of files)
    it(`${name}: the closer is the sender of tshark's first close frame; not Notifs, said so`, async () => {
      const file = join(CORPUS, name);
      const want = await firstCloseSide(file);
      const result = await readEvidence(file);
      const { diagnosis } = diagnose({ results: [result], options: DEFAULT_OPTIONS });
      if (want) assert.equal(ourSide(diagnosis), want, `${name}: ${diagnosis.summary.text}`);
      assert.ok(
        diagnosis.notes.some((n) => /identified as Notifs/.test(n)),
        diagnosis.notes.join('\n'),
      );
      for (const inc of diagnosis.incidents) {
        assert.ok(inc.confidence <= 0.4, `${name}: ${inc.cause} at ${inc.confidence} on traffic that is not Notifs`);
        assert.ok(!inc.nextSteps.some((s) => /backend ticket/i.test(s)), `${name}: ${inc.nextSteps.join(' | ')}`);
      }
    });
});
