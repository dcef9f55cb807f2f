// A middlebox (the fault proxy, standing in for a firewall or IPS) resets the connection to both ends. Its own
// firewall-style log (device.log) records the reset as its own doing, like an ASA "Flow closed by inspection".
import type { Scenario } from '../scenario.ts';

export const resetByMiddlebox: Scenario = {
  name: 'reset-by-middlebox',
  title: 'Middlebox resets the connection',
  fault: 'the proxy sends RST to both desktop and Notifs',
  direction: 'both',
  expected: { domain: 'network', cause: 'reset-by-middlebox' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    ctx.proxy!.addToxic({ name: 'rst', type: 'reset', stream: 'downstream', attributes: { afterMs: 0, side: 'both' } });
    await ctx.waitDesktopState(['recovering'], ctx.timers.silenceMs * 4);
    ctx.proxy!.removeToxic('rst');
  },
};
