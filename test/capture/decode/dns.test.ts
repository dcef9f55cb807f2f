import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DNS_A,
  DNS_AAAA,
  DNS_CNAME,
  decodeDns,
  decodeDnsTcp,
  resolveFromAnswers,
} from '../../../src/capture/decode/dns.ts';
import { cat, ip6, u16, u32 } from './synth-packet.ts';

const labels = (name: string): number[] => [...name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];

/** Response: api.wxcc-us1.cisco.com → CNAME edge.Example.net → A ×2, AAAA; all names after the first compressed. */
function response(): Uint8Array {
  const header = [...u16(0xbeef), ...u16(0x8180), ...u16(1), ...u16(4), ...u16(0), ...u16(0)];
  const q = [...labels('api.wxcc-us1.cisco.com'), ...u16(1), ...u16(1)];
  const qname = 12; // offset of the question name
  // CNAME rdata: "edge" + pointer to "Example.net"?  Spell "edge.Example" then pointer to "net"? Keep it simple:
  // full labels "edge.Example.net" in the rdata, later owners point at it.
  const cnameRdata = labels('edge.Example.net');
  const cnameRr = [0xc0, qname, ...u16(DNS_CNAME), ...u16(1), ...u32(300), ...u16(cnameRdata.length), ...cnameRdata];
  const cnameTargetAt = 12 + q.length + 12;
  const a = (ip: number[]) => [0xc0, cnameTargetAt, ...u16(DNS_A), ...u16(1), ...u32(60), ...u16(4), ...ip];
  const aaaa = [0xc0, cnameTargetAt, ...u16(DNS_AAAA), ...u16(1), ...u32(60), ...u16(16), ...ip6('2001:db8::53')];
  return cat(header, q, cnameRr, a([198, 18, 0, 1]), a([198, 18, 0, 2]), aaaa);
}

describe('decodeDns', () => {
  it('decodes questions, a CNAME chain and A/AAAA answers through compression pointers', () => {
    const m = decodeDns(response());
    assert.ok(m);
    assert.equal(m.problem, '');
    assert.equal(m.id, 0xbeef);
    assert.equal(m.response, true);
    assert.equal(m.rcode, 0);
    assert.deepEqual(m.questions, [{ name: 'api.wxcc-us1.cisco.com', type: 1 }]);
    assert.deepEqual(
      m.answers.map((a) => [a.name, a.type, a.data]),
      [
        ['api.wxcc-us1.cisco.com', DNS_CNAME, 'edge.example.net'],
        ['edge.example.net', DNS_A, '198.18.0.1'],
        ['edge.example.net', DNS_A, '198.18.0.2'],
        ['edge.example.net', DNS_AAAA, '2001:db8::53'],
      ],
    );
    assert.deepEqual(resolveFromAnswers(m.answers, 'API.wxcc-us1.cisco.com'), {
      name: 'api.wxcc-us1.cisco.com',
      cnames: ['edge.example.net'],
      addresses: ['198.18.0.1', '198.18.0.2', '2001:db8::53'],
    });
  });

  it('reads the TCP form (length prefix)', () => {
    const r = response();
    const m = decodeDnsTcp(cat(u16(r.length), r));
    assert.equal(m?.answers.length, 4);
  });

  it('a pointer loop is a problem, not a hang', () => {
    const header = [...u16(1), ...u16(0x8180), ...u16(1), ...u16(0), ...u16(0), ...u16(0)];
    const loop = cat(header, [0xc0, 12], u16(1), u16(1)); // name at 12 points at itself
    const m = decodeDns(loop);
    assert.equal(m?.problem, 'DNS_BAD_NAME');
    const mutual = cat(header, [1, 0x61, 0xc0, 12], u16(1), u16(1)); // "a" then back to 12 forever
    assert.equal(decodeDns(mutual)?.problem, 'DNS_BAD_NAME');
  });

  it('NXDOMAIN rcode and no answers', () => {
    const header = [...u16(7), ...u16(0x8183), ...u16(1), ...u16(0), ...u16(0), ...u16(0)];
    const m = decodeDns(cat(header, labels('nope.example'), u16(1), u16(1)));
    assert.equal(m?.rcode, 3);
    assert.deepEqual(m?.answers, []);
  });

  it('truncation at every offset and random bytes never throw', () => {
    const r = response();
    for (let cut = 0; cut < r.length; cut++) {
      const m = decodeDns(r.subarray(0, cut));
      if (cut < 12) assert.equal(m, null);
      else assert.equal(m?.problem, 'DNS_TRUNCATED', `cut ${cut}`);
    }
    let s = 7;
    for (let i = 0; i < 3000; i++) {
      const b = r.slice();
      for (let k = 0; k < 4; k++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        b[s % b.length] = s >>> 24;
      }
      const m = decodeDns(b);
      assert.ok(m === null || Array.isArray(m.answers));
    }
  });
});
