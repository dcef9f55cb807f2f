// Kernel-level faults (root only): iptables in the router namespace between the desktop and Notifs namespaces.
// Unlike the TCP proxy, these act on packets: a dropped segment is retransmitted and never ACKed, and a middlebox
// RST arrives with the router's TTL (64) while Notifs' own packets arrive one hop further (63).
// One-way loss drops the segments that carry data (IP length > 52: a pure ACK with timestamps is 52 bytes) and
// lets pure ACKs through, like an MTU black hole or an asymmetric path: the other direction keeps working and is
// still acknowledged. Dropping every packet one way would also kill the ACKs of the other direction, which at TCP
// level is a two-way failure (that is the path-blackhole scenario).
import { DESKTOP_IP, NOTIFS_IP } from '../netns.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

const DATA_ONLY = ['-m', 'length', '--length', '53:65535'];

function s2c(ctx: ScenarioContext, dataOnly = false): string[] {
  const m = ['-p', 'tcp', '-s', NOTIFS_IP, '--sport', String(ctx.notifsPort), '-d', DESKTOP_IP];
  return [...m, ...(dataOnly ? DATA_ONLY : []), '-j', 'DROP'];
}
function c2s(ctx: ScenarioContext, dataOnly = false): string[] {
  const m = ['-p', 'tcp', '-s', DESKTOP_IP, '-d', NOTIFS_IP, '--dport', String(ctx.notifsPort)];
  return [...m, ...(dataOnly ? DATA_ONLY : []), '-j', 'DROP'];
}

async function dropFor(ctx: ScenarioContext, rules: string[][], ms: number): Promise<void> {
  const removers = [];
  for (const r of rules) removers.push(await ctx.topo!.addRule(r));
  await ctx.hold(ms);
  for (const rm of removers) await rm();
}

export const netnsInboundLoss: Scenario = {
  name: 'netns-inbound-loss',
  title: 'Notifs → desktop packets dropped by a router (iptables)',
  fault: 'router drops Notifs → desktop data segments (ACKs pass) for 2.5 × silence timeout',
  direction: 'downstream',
  expected: { domain: 'network', cause: 'inbound-loss' },
  network: 'netns',
  desktop: 'node',
  demo: true,
  inject: (ctx) => dropFor(ctx, [s2c(ctx, true)], ctx.timers.silenceMs * 2.5),
};

export const netnsOutboundLoss: Scenario = {
  name: 'netns-outbound-loss',
  title: 'Desktop → Notifs packets dropped by a router (iptables)',
  fault: 'router drops desktop → Notifs data segments (ACKs pass) for 2.5 × silence timeout',
  direction: 'upstream',
  expected: { domain: 'network', cause: 'outbound-loss' },
  network: 'netns',
  desktop: 'node',
  demo: true,
  inject: (ctx) => dropFor(ctx, [c2s(ctx, true)], ctx.timers.silenceMs * 2.5),
};

export const netnsPathBlackhole: Scenario = {
  name: 'netns-path-blackhole',
  title: 'Router drops everything both ways (iptables)',
  fault: 'router drops the Notifs TCP flow both ways for 2.5 × silence timeout',
  direction: 'both',
  expected: { domain: 'network', cause: 'path-blackhole' },
  network: 'netns',
  desktop: 'node',
  demo: true,
  inject: (ctx) => dropFor(ctx, [s2c(ctx), c2s(ctx)], ctx.timers.silenceMs * 2.5),
};

export const netnsResetByMiddlebox: Scenario = {
  name: 'netns-reset-by-middlebox',
  title: 'Router firewall resets the connection (REJECT tcp-reset)',
  fault: 'router answers the desktop → Notifs segments with a TCP RST (iptables REJECT --reject-with tcp-reset)',
  direction: 'upstream',
  expected: { domain: 'network', cause: 'reset-by-middlebox' },
  network: 'netns',
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    const rule = [
      '-p',
      'tcp',
      '-s',
      DESKTOP_IP,
      '-d',
      NOTIFS_IP,
      '--dport',
      String(ctx.notifsPort),
      '-j',
      'REJECT',
      '--reject-with',
      'tcp-reset',
    ];
    const remove = await ctx.topo!.addRule(rule);
    await ctx.waitDesktopState(['recovering'], ctx.timers.silenceMs * 4);
    await remove();
  },
};

export const netnsAsleepIdleTimeout: Scenario = {
  name: 'netns-asleep-idle-timeout',
  title: 'PC asleep longer than the firewall idle timeout',
  fault:
    'router conntrack idle timeout 1 s; desktop SIGSTOP for max(3 s, 2 keepalive periods) (monotonic clock skips it): the firewall forgets the flow and drops its packets after the wake',
  direction: 'desktop',
  // The firewall's timeout is a consequence: it only expired because the sleeping PC stopped the keepalives.
  expected: { domain: 'desktop', cause: 'desktop-asleep' },
  network: 'netns',
  desktop: 'node',
  async inject(ctx) {
    if (!(await ctx.topo!.setConntrackTimeout(1))) ctx.log('could not shorten the conntrack timeout');
    const d = ctx.desktop!;
    await d.call('prepare-sleep');
    d.signal('SIGSTOP');
    // Long enough to be a visible sleep at any timers (production: 8 s, past the 5 s wall-clock jump that shows it).
    await ctx.hold(Math.max(3000, 2 * ctx.timers.keepaliveMs));
    d.signal('SIGCONT');
    await ctx.waitDesktopState(['connected'], ctx.timers.recoveryMs + 4000);
    await ctx.topo!.setConntrackTimeout(432_000);
  },
};

export const NETNS_SCENARIOS = [
  netnsInboundLoss,
  netnsOutboundLoss,
  netnsPathBlackhole,
  netnsResetByMiddlebox,
  netnsAsleepIdleTimeout,
];
