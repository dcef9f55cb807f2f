// The SessionRegistry contract as a reusable suite: MemorySessions and RedisSessions both run it.
// `make(nodeId)` returns registries that share one deployment (so two node ids see each other's sessions).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionRegistry, SubscriptionRecord } from '../../src/server/session-registry.ts';

const sub = (id: string, agentId = 'a1'): SubscriptionRecord => ({
  id,
  agentId,
  clientId: 'c1',
  clientType: 'test',
  allowMultiLogin: false,
  resumeFrom: { epoch: 'e', seq: 7 },
});

export function sessionContract(
  name: string,
  make: (nodeId: string) => Promise<SessionRegistry> | SessionRegistry,
  o: { expire(ms: number): Promise<void>; multiNode: boolean },
) {
  describe(`SessionRegistry contract: ${name}`, () => {
    test('a subscription is taken once, with every field', async () => {
      const r = await make('n1');
      await r.putSubscription(sub('s1'), 60000);
      assert.deepEqual(await r.takeSubscription('s1'), sub('s1'));
      assert.equal(await r.takeSubscription('s1'), undefined, 'single use');
      assert.equal(await r.takeSubscription('nope'), undefined);
      await r.close();
    });

    test('a subscription expires after its TTL', async () => {
      const r = await make('n1');
      await r.putSubscription(sub('s2'), 50);
      await o.expire(120);
      assert.equal(await r.takeSubscription('s2'), undefined);
      await r.close();
    });

    test('claims: the same client replaces, another client displaces, allowMultiLogin coexists', async () => {
      const r = await make('n1');
      const agent = `ag-${Math.random().toString(36).slice(2)}`;
      assert.deepEqual(await r.claim(agent, 'k1', 'desk-a', false), []);
      assert.deepEqual(await r.liveClients(agent), ['desk-a']);
      assert.deepEqual(await r.claim(agent, 'k2', 'desk-a', false), [
        { nodeId: 'n1', connId: 'k1', reason: 'replaced' },
      ]);
      assert.deepEqual(await r.claim(agent, 'k3', 'desk-b', true), [], 'multi-login allowed: both stay');
      assert.deepEqual((await r.liveClients(agent)).sort(), ['desk-a', 'desk-b']);
      const kicks = await r.claim(agent, 'k4', 'desk-c', false);
      assert.deepEqual(kicks.map((k) => `${k.connId}:${k.reason}`).sort(), ['k2:multi-login', 'k3:multi-login']);
      assert.deepEqual(await r.liveClients(agent), ['desk-c']);
      await r.release(agent, 'k4');
      assert.deepEqual(await r.liveClients(agent), []);
      await r.close();
    });

    test('a release made while the claim is still in flight wins: the socket is not live afterwards', async () => {
      const r = await make('n1');
      const agent = `ag-${Math.random().toString(36).slice(2)}`;
      const claiming = r.claim(agent, 'k1', 'desk-a', false);
      await r.release(agent, 'k1');
      await claiming;
      assert.deepEqual(await r.liveClients(agent), []);
      await r.close();
    });

    if (o.multiNode) {
      test('two nodes: a subscription made on one is taken on the other; kicks reach the holding node', async () => {
        const a = await make('na');
        const b = await make('nb');
        const agent = `ag-${Math.random().toString(36).slice(2)}`;
        await a.putSubscription(sub('x1', agent), 60000);
        assert.equal((await b.takeSubscription('x1'))?.agentId, agent);
        assert.equal(await a.takeSubscription('x1'), undefined, 'single use across nodes');
        const heard = new Promise((resolve, reject) => {
          a.onKick(resolve);
          setTimeout(() => reject(new Error('kick not heard within 5 s')), 5000).unref();
        });
        await a.ready?.();
        await a.claim(agent, 'ka', 'desk-a', false);
        const kicks = await b.claim(agent, 'kb', 'desk-b', false);
        assert.deepEqual(kicks, [{ nodeId: 'na', connId: 'ka', reason: 'multi-login' }]);
        assert.deepEqual(await heard, { nodeId: 'na', connId: 'ka', reason: 'multi-login' });
        assert.deepEqual(await a.liveClients(agent), ['desk-b']);
        await a.close();
        await b.close();
      });

      test('a node that closed (or died) no longer counts: its sessions are not live and not kicked', async () => {
        const a = await make('nc');
        const b = await make('nd');
        const agent = `ag-${Math.random().toString(36).slice(2)}`;
        await a.claim(agent, 'kc', 'desk-a', false);
        await a.close();
        assert.deepEqual(await b.liveClients(agent), []);
        assert.deepEqual(await b.claim(agent, 'kd', 'desk-b', false), []);
        await b.close();
      });
    }
  });
}
