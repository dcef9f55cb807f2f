// Concrete next steps per cause: what to change or collect, with the exact filters and log IDs.
import { API_HOST_PATTERN, DESKTOP_HOST_PATTERN, apiHost as dcApiHost } from '../protocol/wxcc.ts';
import type { Cause, MissingEvidence, Step } from './model.ts';

export interface StepContext {
  hosts: string[];
  ips: string[];
  dc?: string;
}

const ARTICLE_220319 =
  'https://www.cisco.com/c/en/us/support/docs/contact-center/webex-contact-center/220319-configure-environment-to-prevent-agent-d.html';

function apiHost(ctx: StepContext): string {
  return ctx.hosts[0] ?? (ctx.dc ? dcApiHost(ctx.dc) : API_HOST_PATTERN);
}

function desktopUrl(ctx: StepContext): string {
  const h = apiHost(ctx);
  return h.startsWith('api.') ? `https://${h.replace(/^api\./, 'desktop.')}` : `https://${DESKTOP_HOST_PATTERN}`;
}

/** Wireshark display filter for the PC ↔ Notifs traffic (seed step 6). */
export function wiresharkFilter(ctx: StepContext): string {
  const ips = ctx.ips.length ? ctx.ips : ['<Notifs IP from step 5>'];
  const one = (ip: string) => `${ip.includes(':') ? 'ipv6' : 'ip'}.addr == ${ip} && tcp.port == 443`;
  return ips.length === 1 ? one(ips[0]) : ips.map((ip) => `(${one(ip)})`).join(' || ');
}

/** tcpdump capture filter for the same traffic. */
export function tcpdumpCommand(ctx: StepContext): string {
  const ips = ctx.ips.length ? ctx.ips : ['<Notifs IP from step 5>'];
  return `tcpdump -i any -s 0 -w notifs.pcap '(${ips.map((ip) => `host ${ip}`).join(' or ')}) and tcp port 443'`;
}

function captureStep(ctx: StepContext): string {
  return (
    `Capture on the agent's PC while it happens (seed step 6): Wireshark display filter \`${wiresharkFilter(ctx)}\`, ` +
    `or \`${tcpdumpCommand(ctx)}\`; with Chrome, also save TLS keys (SSLKEYLOGFILE) so messages can be decoded (--keylog).`
  );
}

function deviceStep(): string {
  return (
    'Pull logs from every firewall/router/L3 switch on the path (seed step 7) for the incident time: Cisco ASA/FTD ' +
    'syslog IDs 302013/302014 (TCP built/teardown with reason) and 106015 (Deny TCP no connection); Palo Alto traffic ' +
    "log session_end_reason; FortiGate traffic log action=. Note each device's clock offset (NTP, time zone)."
  );
}

export function nextStepsFor(cause: Cause, ctx: StepContext, detail?: string): string[] {
  const host = apiHost(ctx);
  switch (cause) {
    case 'desktop-throttled':
      return [
        `Keep the desktop tab from being throttled (Cisco article 220319: ${ARTICLE_220319}).`,
        'Chrome/Edge: set the policy IntensiveWakeUpThrottlingEnabled = false (chrome://policy shows it) so hidden tabs ' +
          'are not limited to one timer wake-up per minute.',
        `Chrome Settings → Performance: turn Energy Saver off (or never for this site) and add ${desktopUrl(ctx)} to ` +
          '"Always keep these sites active" (Memory Saver exclusions); Edge: Sleeping tabs exclusion for the same URL.',
        'Ask the agent to keep the desktop in its own window (not a background tab) and not minimised while on duty.',
        'Collect the desktop error report after the next drop (seed step 1): its timer-drift and visibility entries confirm the fix.',
      ];
    case 'desktop-asleep':
      return [
        'The PC slept (wall-clock jump): set the OS power plan so the PC never sleeps while the agent is logged in ' +
          '(Windows: Settings → System → Power → Sleep = Never on AC; powercfg /requests shows what blocks/causes it; ' +
          'macOS: Battery/Energy → Prevent automatic sleeping when the display is off).',
        'Disable network-adapter power saving (Device Manager → adapter → Power Management → uncheck "Allow the computer ' +
          'to turn off this device").',
        `Check the Windows event log (Kernel-Power 42/107) or \`pmset -g log\` on macOS for sleep at the incident time; see Cisco article 220319 (${ARTICLE_220319}).`,
      ];
    case 'desktop-stalled':
      return [
        'The desktop stopped sending without a visible reason: collect the desktop error report (seed step 1) right after ' +
          'the next drop — its timer-drift, visibility/freeze and sleep entries tell throttling from sleep from a hung page.',
        `Apply Cisco article 220319 (${ARTICLE_220319}) anyway: IntensiveWakeUpThrottlingEnabled=false, Energy/Memory ` +
          `Saver exclusions for ${desktopUrl(ctx)}, OS sleep off.`,
        'Check the PC for CPU/memory starvation at that time (Task Manager, browser Task Manager Shift+Esc).',
        'If it persists after that, treat it as a network problem (seed step 3): capture on the PC and pull device logs.',
      ];
    case 'outbound-loss':
      return [
        'Desktop → Notifs packets are lost after leaving the browser: have the network team trace the path upstream of the PC.',
        captureStep(ctx),
        'Capture at the internet edge too (outside the firewall/proxy) with the same filter: a keepalive present on the PC ' +
          'but absent at the edge is dropped in between.',
        deviceStep(),
        'Check proxies / SSL inspection / DLP agents on the PC that may hold outbound WebSocket frames; bypass them for ' +
          `${host}.`,
      ];
    case 'inbound-loss':
      return [
        'Notifs → desktop traffic stops reaching the PC while the desktop keeps sending: a network problem (seed step 3b).',
        captureStep(ctx),
        deviceStep(),
        `Check for SSL inspection, proxies or IPS policies that buffer or drop inbound WebSocket frames from ${host}; bypass them for that host.`,
      ];
    case 'path-blackhole':
      return [
        `Both directions died at the TCP level: trace the route to ${ctx.ips[0] ?? host} (mtr/tracert) from the PC at the time, check VPN/Wi-Fi drops.`,
        captureStep(ctx),
        deviceStep(),
        ...(detail === 'offline'
          ? ['The browser reported the PC offline: check Wi-Fi/Ethernet/VPN stability on the PC.']
          : []),
      ];
    case 'delayed':
      return [
        'Messages were held and then delivered in a burst: look for a device buffering traffic (SSL inspection, proxy, ' +
          'IPS, congested uplink, Wi-Fi power save).',
        captureStep(ctx),
        deviceStep(),
      ];
    case 'reordered':
      return [
        'Notifications arrived out of order: report it to the backend with the stream positions below; check for a proxy ' +
          'that multiplexes or retries WebSocket frames.',
        captureStep(ctx),
      ];
    case 'reset-by-middlebox':
      return [
        "A device on the path reset the connection (the RST does not come from the server's TCP stack): find it with " +
          "the RST's TTL (hop distance) and the device logs.",
        deviceStep(),
        `Exempt ${host} from idle timeouts, SSL inspection and IPS resets; WebSocket keepalives every 4 s must not be treated as idle.`,
      ];
    case 'reset-by-server':
      return [
        "The server (or its load balancer) reset the connection: open a backend ticket with the time, the server address and the connection's 5-tuple.",
        'Check the Webex Contact Center status page for the data centre at that time.',
        "The RST's TTL matches the server's packets, which also fits a load balancer, NAT or firewall right in front of it: a capture at the server side (or that device's log) tells which one sent it.",
      ];
    case 'closed-by-server':
      if (detail === 'multi-login')
        return [
          'The agent signed in from another browser/tab/device and this desktop was told to close (multi-login): sign out of the other session.',
          'If nobody else signed in, check for a second tab of the desktop or an integration logging in as the agent.',
        ];
      return [
        'Notifs closed the WebSocket: open a backend ticket with the time, close code and reason below.',
        'Check the Webex Contact Center status page for the data centre at that time.',
      ];
    case 'closed-by-desktop':
      return [
        'The desktop closed the connection itself: check whether the agent signed out, reloaded or closed the tab, or a ' +
          'browser extension/policy unloaded the page.',
        'Collect the desktop error report (seed step 1): its state entries give the reason for the close.',
      ];
    case 'connect-failure':
      return [
        `Reconnects failed: from the PC run \`nslookup ${host}\` (seed step 5) and open https://${host}/ in the browser to test DNS, TCP and TLS.`,
        'Check the proxy/PAC configuration and firewall rules for outbound 443 to the addresses step 5 returns.',
        captureStep(ctx),
        ...(detail === 'http-5xx'
          ? ['The server answered with HTTP 5xx: open a backend ticket with the times and status codes.']
          : []),
      ];
    case 'server-stalled':
      return [
        "TCP stayed alive (the server acknowledged the desktop's data) but Notifs sent no messages: open a backend ticket with the time window and the connection's 5-tuple.",
        'Check the Webex Contact Center status page for the data centre at that time.',
      ];
    default:
      return [
        'Not enough evidence to name a cause. Collect, for the next drop: the desktop error report (seed step 1), a HAR ' +
          'with WebSocket messages (DevTools → Network → WS → Save all as HAR, step 4), and a PC capture (step 6).',
        captureStep(ctx),
      ];
  }
}

const STEP_WHAT: Record<Step, string> = {
  1: 'desktop error report',
  4: 'browser DevTools WebSocket log / HAR',
  5: 'nslookup of the Notifs host',
  6: 'Wireshark/tcpdump capture on the PC',
  7: 'network device logs',
};

/** The steps that would settle `cause` and whose evidence is absent, each with why it would help. */
export function missingFor(cause: Cause, present: Set<Step>): MissingEvidence[] {
  const why: Partial<Record<Step, string>> = {};
  switch (cause) {
    case 'desktop-throttled':
    case 'desktop-asleep':
    case 'desktop-stalled':
      why[1] = 'timer drift, visibility/freeze and sleep entries tell throttling from sleep from a hung page';
      why[6] = 'shows whether the PC stopped sending on the wire or the packets were lost after it';
      why[4] = 'shows what the browser itself sent and received';
      break;
    case 'outbound-loss':
    case 'inbound-loss':
    case 'path-blackhole':
    case 'delayed':
    case 'server-stalled':
      why[6] = 'TCP-level evidence: which side stopped, retransmissions, ACKs';
      why[7] = 'shows where on the path packets were dropped or held';
      why[1] = 'shows what the desktop sent and received, and whether it was throttled';
      why[5] = 'the Notifs addresses to filter the capture on';
      break;
    case 'reset-by-middlebox':
    case 'reset-by-server':
      why[6] = "the RST's TTL and IP ID against the server's packets tell a middlebox from the server";
      why[7] = 'the device that sent or saw the reset logs its reason (302014 Reset-I/Reset-O, server-rst…)';
      break;
    case 'closed-by-server':
    case 'closed-by-desktop':
      why[1] = 'the close code, reason and who closed';
      why[4] = 'the close frame as the browser saw it';
      break;
    case 'connect-failure':
      why[5] = 'what the PC resolves the Notifs host to';
      why[6] = 'SYNs without SYN-ACK, TLS alerts';
      why[7] = 'denies (106015) and SYN timeouts on the path';
      break;
    case 'reordered':
      why[6] = 'whether the reordering happened on the wire';
      break;
    default:
      why[1] = 'what the desktop saw';
      why[4] = 'the WebSocket message flow';
      why[6] = 'the wire';
      why[7] = 'the path';
  }
  return (Object.keys(why) as unknown as string[])
    .map(Number)
    .filter((s) => !present.has(s as Step))
    .sort((a, b) => a - b)
    .map((s) => ({ step: s as Step, what: `step ${s} (${STEP_WHAT[s as Step]}): ${why[s as Step]}` }));
}
