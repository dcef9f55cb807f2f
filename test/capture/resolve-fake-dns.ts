// A tiny authoritative DNS responder on 127.0.0.1 for resolve tests (no internet): A/AAAA answers from a table,
// optional CNAME in front, NXDOMAIN for unknown names. Also builds response bytes for synthetic captures.
import { createSocket, type Socket } from 'node:dgram';

export interface Zone {
  [name: string]: { a?: string[]; aaaa?: string[]; cname?: string };
}

const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const labels = (name: string): number[] => [...name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];

function v6bytes(s: string): number[] {
  const [h, t] = s.split('::');
  const hs = h ? h.split(':') : [];
  const ts = t !== undefined && t !== '' ? t.split(':') : [];
  const g = t === undefined ? hs : [...hs, ...new Array(8 - hs.length - ts.length).fill('0'), ...ts];
  return g.flatMap((x) => u16(Number.parseInt(x, 16)));
}

/** A response to (id, name, qtype) from `zone`, names uncompressed. */
export function dnsResponse(zone: Zone, id: number, name: string, qtype: number): Uint8Array {
  const answers: number[][] = [];
  let cur = name.toLowerCase();
  const entry = zone[cur];
  if (entry?.cname) {
    answers.push([
      ...labels(cur),
      ...u16(5),
      ...u16(1),
      0,
      0,
      1,
      44,
      ...u16(labels(entry.cname).length),
      ...labels(entry.cname),
    ]);
    cur = entry.cname;
  }
  const target = zone[cur];
  if (target && qtype === 1)
    for (const a of target.a ?? [])
      answers.push([...labels(cur), ...u16(1), ...u16(1), 0, 0, 0, 60, ...u16(4), ...a.split('.').map(Number)]);
  if (target && qtype === 28)
    for (const a of target.aaaa ?? [])
      answers.push([...labels(cur), ...u16(28), ...u16(1), 0, 0, 0, 60, ...u16(16), ...v6bytes(a)]);
  const rcode = entry === undefined ? 3 : 0;
  const header = [...u16(id), ...u16(0x8580 | rcode), ...u16(1), ...u16(answers.length), ...u16(0), ...u16(0)];
  return Uint8Array.from([...header, ...labels(name), ...u16(qtype), ...u16(1), ...answers.flat()]);
}

export async function startFakeDns(zone: Zone): Promise<{ port: number; close(): void; queries: string[] }> {
  const sock: Socket = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    // Question name starts at 12; read its labels.
    let p = 12;
    const parts: string[] = [];
    while (p < msg.length && msg[p] !== 0 && parts.length < 64) {
      parts.push(msg.subarray(p + 1, p + 1 + msg[p]).toString('latin1'));
      p += 1 + msg[p];
    }
    const qtype = msg.readUInt16BE(p + 1);
    const name = parts.join('.');
    queries.push(`${name}/${qtype}`);
    sock.send(dnsResponse(zone, msg.readUInt16BE(0), name, qtype), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, close: () => sock.close(), queries };
}
