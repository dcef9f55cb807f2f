import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  captureFilterFor,
  displayFilterFor,
  hostsFor,
  resolveFromCapture,
  resolveTarget,
  systemResolver,
} from '../../src/capture/resolve.ts';
import { formatReport, runResolve } from '../../src/capture/resolve-cli.ts';
import { ethernet, ipv4, udp } from './decode/synth-packet.ts';
import { dnsResponse } from './resolve-fake-dns.ts';
import { pcapFile } from './sources/synth-capture.ts';

const ZONE = {
  'api.wxcc-us1.cisco.com': { cname: 'edge.example.net' },
  'edge.example.net': { a: ['198.18.0.1', '198.18.0.2'], aaaa: ['2001:db8::1'] },
};

describe('resolve', () => {
  it('maps data centres to the API and desktop hosts, and rejects junk', () => {
    assert.deepEqual(hostsFor('US1'), { dc: 'us1', hosts: ['api.wxcc-us1.cisco.com', 'desktop.wxcc-us1.cisco.com'] });
    assert.deepEqual(hostsFor('anz1').hosts[0], 'api.wxcc-anz1.cisco.com');
    assert.deepEqual(hostsFor('example.com.'), { hosts: ['example.com'] });
    assert.deepEqual(hostsFor('2001:db8::1'), { hosts: ['2001:db8::1'] });
    assert.throws(
      () => hostsFor('rm -rf /'),
      (e: Error & { code?: string; kind?: string }) => e.code === 'RESOLVE_BAD_TARGET' && e.kind === 'usage',
    );
  });

  it('builds Wireshark and tcpdump filters', () => {
    const a = { v4: ['10.0.0.1', '10.0.0.2'], v6: ['2001:db8::1'] };
    assert.equal(displayFilterFor(a), 'ip.addr == 10.0.0.1 || ip.addr == 10.0.0.2 || ipv6.addr == 2001:db8::1');
    assert.equal(captureFilterFor(a), 'host 10.0.0.1 or host 10.0.0.2 or host 2001:db8::1');
  });

  it('uses an injected resolver and records per-host failures', async () => {
    const rep = await resolveTarget('us1', async (h) => {
      if (h.startsWith('api.')) return { v4: ['198.18.0.1'], v6: ['2001:db8::1'] };
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    });
    assert.equal(rep.ok, true);
    assert.deepEqual(rep.addresses, ['198.18.0.1', '2001:db8::1']);
    assert.equal(rep.hosts[1].error?.code, 'ENOTFOUND');
    assert.equal(rep.displayFilter, 'ip.addr == 198.18.0.1 || ipv6.addr == 2001:db8::1');
    assert.match(formatReport(rep), /not resolved: ENOTFOUND/);
  });

  it('resolves localhost with the system resolver', async () => {
    const rep = await resolveTarget('localhost', systemResolver(5000));
    assert.equal(rep.ok, true);
    assert.ok(rep.addresses.includes('127.0.0.1') || rep.addresses.includes('::1'), rep.addresses.join());
  });

  it('fails with exit 3 but still prints the name filters when nothing resolves', async () => {
    let out = '';
    await assert.rejects(
      runResolve(
        'eu2',
        {},
        (s) => (out += s),
        async () => {
          throw Object.assign(new Error('no DNS'), { code: 'ECONNREFUSED' });
        },
      ),
      (e: Error & { code?: string; kind?: string }) => e.code === 'RESOLVE_FAILED' && e.kind === 'input',
    );
    assert.match(out, /host api\.wxcc-eu2\.cisco\.com or host desktop\.wxcc-eu2\.cisco\.com/);
    assert.match(out, /tls\.handshake\.extensions_server_name == "api\.wxcc-eu2\.cisco\.com"/);
  });

  it('--from-capture follows the CNAME chain in the DNS answers the PC received', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-res-'));
    try {
      const frame = (payload: Uint8Array) =>
        ethernet(0x0800, ipv4({ src: '10.0.0.53', dst: '10.0.0.9', proto: 17, payload: udp(53, 40000, payload) }));
      const file = join(dir, 'dns.pcap');
      await writeFile(
        file,
        pcapFile({
          records: [
            { sec: 1700000000, frac: 5, data: frame(dnsResponse(ZONE, 1, 'api.wxcc-us1.cisco.com', 1)) },
            { sec: 1700000001, frac: 0, data: frame(dnsResponse(ZONE, 2, 'api.wxcc-us1.cisco.com', 28)) },
          ],
        }),
      );
      const rep = await resolveFromCapture('us1', file);
      assert.equal(rep.ok, true);
      assert.deepEqual(rep.hosts[0].v4, ['198.18.0.1', '198.18.0.2']);
      assert.deepEqual(rep.hosts[0].v6, ['2001:db8::1']);
      assert.deepEqual(rep.hosts[0].cnames, ['edge.example.net']);
      assert.equal(rep.hosts[0].firstSeen, 1700000000000.005);
      assert.equal(rep.hosts[1].error?.code, 'NOT_IN_CAPTURE');
      assert.equal(rep.captureFilter, 'host 198.18.0.1 or host 198.18.0.2 or host 2001:db8::1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
