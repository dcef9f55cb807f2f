// Shared helpers for integration tests: wait for an event with a bounded timeout (never sleep-and-hope).
import type { ClientEvents } from '../../src/desktop/client-core.ts';
import type { DesktopClient } from '../../src/desktop/desktop-client.ts';

export function waitForEvent<K extends keyof ClientEvents>(
  c: DesktopClient,
  ev: K,
  pred: (e: ClientEvents[K]) => boolean = () => true,
  timeoutMs = 10000,
  what = String(ev),
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (state ${c.state})`));
    }, timeoutMs);
    const off = c.on(ev, (e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

export function waitForState(c: DesktopClient, to: string, timeoutMs = 10000) {
  if (c.state === to) return Promise.resolve({ from: c.state, to: c.state, reason: 'already' });
  return waitForEvent(c, 'state', (e) => e.to === to, timeoutMs, `state ${to}`);
}

/** Poll a condition on the event loop (for server-side facts that emit no event), bounded. */
export async function until(cond: () => boolean, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
