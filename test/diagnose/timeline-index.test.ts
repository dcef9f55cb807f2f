// diagnose's work grows linearly with the evidence: counted operations (events and index entries each phase
// visits, and every read of a timeline event), not seconds, on a many-desktop capture 1× and 4× as long. Plus: the
// lean capture reading diagnose uses gives the same diagnosis as the full one on every lab capture.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyseIncident } from '../../src/diagnose/analyses.ts';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { findIncidents } from '../../src/diagnose/incidents.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { buildTimeline } from '../../src/diagnose/timeline.ts';
import { resetWork, work } from '../../src/diagnose/timeline-index.ts';
import type { EvidenceResult, TimelineEvent } from '../../src/events/types.ts';
import { readEvidence } from '../../src/evidence/read-evidence.ts';

const FILE = 'desktops.pcap';
const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

/**
 * `desktops` desktops for `seconds`: keepalives both ways every 4 s (each a tcp-data, an ACK and a message),
 * notifications, connections ending by FIN or RST after `life` ms (min, + random spread) and reconnecting, and 1 in
 * 6 reconnects never coming alive (a SYN answered by a RST). Many desktops with short connections close every
 * fraction of a second: the whole capture is one long incident full of connection starts, the shape that made
 * "stuck connects" O(opens × events); fewer give many incidents of a minute's window each.
 */
function manyDesktops(desktops: number, seconds: number, life = [10_000, 60_000]): EvidenceResult {
  let seed = 7;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  // The DNS answer makes every connection to the server Notifs, failed ones too (as --ip would).
  const ev: TimelineEvent[] = [
    {
      source: FILE,
      sourceKind: 'capture',
      kind: 'dns-answer',
      ts: T0 - 100,
      name: 'api.wxcc-us1.cisco.com',
      addresses: ['127.0.0.1'],
    },
  ];
  const end = T0 + seconds * 1000;
  for (let d = 0; d < desktops; d++) {
    let t = T0 + rnd() * 4000;
    let port = 30000 + d * 100;
    while (t < end) {
      const conn = `127.1.0.${d + 1}:${port++}-127.0.0.1:80`;
      const b = { source: FILE, sourceKind: 'capture' as const, conn };
      ev.push({ ...b, kind: 'conn-open', ts: t, layer: 'tcp', ip: '127.0.0.1', port: 80 });
      if (rnd() < 1 / 6) {
        ev.push({ ...b, kind: 'conn-close', ts: t + 1, how: 'rst', by: 'server' });
        t += 2000 + rnd() * 3000;
        continue;
      }
      ev.push({
        ...b,
        kind: 'conn-open',
        ts: t + 5,
        layer: 'ws',
        host: 'api.wxcc-us1.cisco.com',
        url: 'ws://api.wxcc-us1.cisco.com/v1/notification/subscription/x',
      });
      ev.push({ ...b, kind: 'ws-message', ts: t + 6, dir: 's2c', opcode: 1, length: 60, cls: 'welcome' });
      const closeAt = Math.min(end, t + life[0] + rnd() * life[1]);
      const seq = { c2s: 0, s2c: 0 };
      const send = (ts: number, dir: 'c2s' | 's2c', len: number, cls: 'keepalive' | 'notification') => {
        ev.push({ ...b, kind: 'tcp-data', ts, dir, seq: seq[dir], len });
        seq[dir] += len;
        ev.push({ ...b, kind: 'ws-message', ts: ts + 0.1, dir, opcode: 1, length: len, cls });
        ev.push({ ...b, kind: 'tcp-ack', ts: ts + 0.2, dir: dir === 'c2s' ? 's2c' : 'c2s', ack: seq[dir] });
      };
      for (let k = t + 4000 * rnd(); k < closeAt; k += 4000) {
        send(k, 'c2s', 26, 'keepalive');
        send(k + 1000 + rnd() * 2000, 's2c', 22, 'keepalive');
        if (rnd() < 0.5) send(k + 500 + rnd() * 3000, 's2c', 300 + Math.floor(rnd() * 2700), 'notification');
      }
      if (closeAt >= end) break;
      ev.push({ ...b, kind: 'conn-close', ts: closeAt, how: rnd() < 0.4 ? 'rst' : 'fin', by: 'desktop' });
      t = closeAt + 1000 + rnd() * 3000;
    }
  }
  ev.sort((a, b) => a.ts - b.ts);
  return { file: FILE, kind: 'capture', format: 'pcap', events: ev, problems: [], meta: { lastTs: end } };
}

/** Runs timeline → incidents → every incident's analyses, counting the work and every read of a timeline event. */
interface Counted {
  index: number;
  incidents: number;
  analyses: number;
  reads: number;
  incidentCount: number;
}
function countedRun(r: EvidenceResult): Counted {
  resetWork();
  const tl = buildTimeline([r], DEFAULT_OPTIONS);
  let reads = 0;
  tl.events = new Proxy(tl.events, {
    get(target, prop, recv) {
      if (typeof prop === 'string' && prop.length > 0 && prop.charCodeAt(0) <= 57) reads++;
      return Reflect.get(target, prop, recv);
    },
  });
  const incidents = findIncidents(tl, DEFAULT_OPTIONS);
  assert.ok(incidents.length > 0, 'the generated capture has incidents');
  let stuck = 0;
  for (const inc of incidents) stuck += analyseIncident(inc, tl, DEFAULT_OPTIONS).stuckConnects.length;
  assert.ok(stuck > 0, 'failed reconnects are found (the stuck-connect analysis ran on real work)');
  return {
    index: work.index,
    incidents: work.incidents,
    analyses: work.analyses,
    reads,
    incidentCount: incidents.length,
  };
}

function assertLinear(small: EvidenceResult, big: EvidenceResult): { a: Counted; b: Counted } {
  const grew = big.events.length / small.events.length;
  assert.ok(grew > 3.8 && grew < 4.2, `the big input is 4× the small one (${grew.toFixed(2)}×)`);
  const a = countedRun(small);
  const b = countedRun(big);
  for (const k of ['index', 'incidents', 'analyses', 'reads'] as const) {
    assert.ok(a[k] > 0, `${k}: some work counted`);
    const ratio = b[k] / a[k];
    assert.ok(ratio <= 4.5, `${k}: ${a[k]} → ${b[k]} operations (${ratio.toFixed(2)}× for 4× the evidence)`);
  }
  return { a, b };
}

test("diagnose's work grows linearly, one long incident: 4× the evidence, at most 4.5× the counted operations", () => {
  const { a, b } = assertLinear(manyDesktops(80, 150, [3000, 15000]), manyDesktops(80, 600, [3000, 15000]));
  assert.equal(a.incidentCount, 1, 'one incident spanning the capture');
  assert.equal(b.incidentCount, 1, 'one incident spanning the capture');
});

test("diagnose's work grows linearly, many incidents: 4× the evidence, at most 4.5× the counted operations", () => {
  const big = manyDesktops(20, 4800);
  const { a, b } = assertLinear(manyDesktops(20, 1200), big);
  assert.ok(
    a.incidentCount > 100 && b.incidentCount > 3.5 * a.incidentCount,
    `${a.incidentCount} → ${b.incidentCount}`,
  );
  // A bounded number of visits per event: each incident looks at about a minute of evidence around it.
  const perEvent = (b.index + b.incidents + b.analyses) / big.events.length;
  assert.ok(perEvent < 200, `${perEvent.toFixed(1)} counted operations per event`);
});

const LAB = new URL('../fixtures/diagnose/lab/', import.meta.url);

test('lean capture reading (as diagnose reads) gives the same diagnosis as the full reading, every lab scenario', async () => {
  let compared = 0;
  for (const name of readdirSync(LAB).sort()) {
    const dir = fileURLToPath(new URL(`${name}/`, LAB));
    const files = readdirSync(dir).filter((f) => f !== 'truth.json');
    const full = await Promise.all(files.map((f) => readEvidence(`${dir}${f}`)));
    const lean = await Promise.all(files.map((f) => readEvidence(`${dir}${f}`, { lean: true })));
    const a = diagnose({ results: full, options: DEFAULT_OPTIONS }).diagnosis;
    const b = diagnose({ results: lean, options: DEFAULT_OPTIONS }).diagnosis;
    assert.deepEqual(b, a, name);
    compared += a.incidents.length;
  }
  assert.ok(compared > 10, `incidents compared: ${compared}`);
});
