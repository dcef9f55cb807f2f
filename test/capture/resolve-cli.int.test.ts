// `lifeline resolve` as a user runs it, against a fake DNS server on 127.0.0.1 (never the internet).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { startFakeDns } from './resolve-fake-dns.ts';

const BIN = new URL('../../bin/lifeline.js', import.meta.url).pathname;

function lifeline(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

describe('lifeline resolve', () => {
  it('asks the given DNS server, prints addresses and both filters, exit 0', async () => {
    const dns = await startFakeDns({
      'api.wxcc-jp1.cisco.com': { cname: 'edge.example.net' },
      'edge.example.net': { a: ['198.18.7.1'], aaaa: ['2001:db8::7'] },
      'desktop.wxcc-jp1.cisco.com': { a: ['198.18.7.2'] },
    });
    try {
      const r = await lifeline(['resolve', 'jp1', '--server', `127.0.0.1:${dns.port}`, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const rep = JSON.parse(r.stdout);
      assert.deepEqual(rep.addresses, ['198.18.7.1', '198.18.7.2', '2001:db8::7']);
      assert.equal(rep.displayFilter, 'ip.addr == 198.18.7.1 || ip.addr == 198.18.7.2 || ipv6.addr == 2001:db8::7');
      assert.ok(dns.queries.includes('api.wxcc-jp1.cisco.com/1'));
      const human = await lifeline(['resolve', 'jp1', '--server', `127.0.0.1:${dns.port}`]);
      assert.equal(human.code, 0);
      assert.match(human.stdout, /Wireshark display filter:\n {2}ip\.addr == 198\.18\.7\.1/);
      assert.match(human.stdout, /host 198\.18\.7\.1 or host 198\.18\.7\.2 or host 2001:db8::7/);
    } finally {
      dns.close();
    }
  });

  it('nothing resolved: exit 3, a clear error, and the name filters', async () => {
    const dns = await startFakeDns({});
    try {
      const r = await lifeline(['resolve', 'sg1', '--server', `127.0.0.1:${dns.port}`]);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /RESOLVE_FAILED: no address found \(api\.wxcc-sg1\.cisco\.com: ENOTFOUND/);
      assert.match(r.stdout, /host api\.wxcc-sg1\.cisco\.com or host desktop\.wxcc-sg1\.cisco\.com/);
    } finally {
      dns.close();
    }
  });

  it('bad target: exit 2; help teaches with examples', async () => {
    const r = await lifeline(['resolve', 'not a host']);
    assert.equal(r.code, 2);
    const h = await lifeline(['resolve', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /--from-capture/);
    assert.match(h.stdout, /Examples:/);
  });
});
