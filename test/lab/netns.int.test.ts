// Kernel-level lab plumbing as root: namespaces joined through a router, iptables in the router only, cleanup.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createTopology, NOTIFS_IP, netnsUnavailableReason } from '../../src/lab/netns.ts';

const run = promisify(execFile);

function namespaces(): string {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
}

/** A TCP connect from the desktop namespace to a listener in the Notifs namespace; resolves to what happened. */
async function probe(exec: (ns: string) => string[], desktopNs: string, port: number): Promise<string> {
  const code = `const s=require('net').connect(${port},'${NOTIFS_IP}');s.setTimeout(1500);s.on('data',d=>{console.log('data:'+d);s.destroy()});s.on('timeout',()=>{console.log('timeout');s.destroy()});s.on('error',e=>console.log('error:'+e.code))`;
  const [cmd, ...args] = [...exec(desktopNs), process.execPath, '-e', code];
  return (await run(cmd, args, { timeout: 10_000 })).stdout.trim();
}

test('topology: desktop reaches Notifs through the router; router rules drop or reset; destroy removes all', async () => {
  assert.equal(netnsUnavailableReason(), undefined, 'run as root with iproute2, iptables and conntrack installed');
  const topo = await createTopology();
  const names = [topo.desktopNs, topo.routerNs, topo.notifsNs];
  try {
    for (const n of names) assert.ok(namespaces().includes(n), `${n} exists`);
    const server = `require('net').createServer(s=>s.end('hello')).listen(7000,'${NOTIFS_IP}',()=>console.log('up'))`;
    const [cmd, ...args] = [...topo.exec(topo.notifsNs), process.execPath, '-e', server];
    const { spawn } = await import('node:child_process');
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('server in the notifs namespace did not start')), 10_000);
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('up')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      assert.equal(await probe(topo.exec, topo.desktopNs, 7000), 'data:hello');
      const rm = await topo.addRule(['-p', 'tcp', '--dport', '7000', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
      assert.equal(await probe(topo.exec, topo.desktopNs, 7000), 'error:ECONNREFUSED');
      await rm();
      const rm2 = await topo.addRule(['-p', 'tcp', '--dport', '7000', '-j', 'DROP']);
      assert.equal(await probe(topo.exec, topo.desktopNs, 7000), 'timeout');
      await rm2();
      assert.equal(await probe(topo.exec, topo.desktopNs, 7000), 'data:hello');
    } finally {
      child.kill();
    }
    // The host's own rules are untouched: nothing of ours in the root namespace's FORWARD chain.
    assert.ok(!execFileSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' }).includes('7000'));
  } finally {
    await topo.destroy();
  }
  for (const n of names) assert.ok(!namespaces().includes(n), `${n} removed`);
});
