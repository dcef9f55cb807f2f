// The procedure's step 5 ("nslookup api.wxcc-<dc>.cisco.com") and the filters of step 6, as data: which hosts a
// data centre means, their addresses (from DNS, or from the DNS answers inside a capture: what the PC actually
// resolved), and the Wireshark display filter / capture filter that isolate the PC <-> Notifs traffic. The resolver
// is injected so tests never touch the internet.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { LifelineError } from '../errors.ts';
import { apiHost, DATA_CENTRES, desktopHost, knownDataCentre } from '../protocol/wxcc.ts';
import { decodePacket } from './decode/decode-packet.ts';
import { DNS_PORT, type DnsRecord, decodeDns, decodeDnsTcp, resolveFromAnswers } from './decode/dns.ts';
import { openCapture } from './open-capture.ts';
import { newDecodedPacket } from './packet.ts';

export { DATA_CENTRES } from '../protocol/wxcc.ts';

export interface Addresses {
  v4: string[];
  v6: string[];
}

/** Looks a host up; rejects with an Error carrying `code` (ENOTFOUND, ETIMEOUT, …). */
export type Resolver = (host: string) => Promise<Addresses>;

export interface HostResult extends Addresses {
  host: string;
  /** 'dns' (live lookup) or the capture file the answers came from. */
  source: string;
  cnames?: string[];
  /** First time (epoch ms) the capture showed an answer for this host. */
  firstSeen?: number;
  error?: { code: string; message: string };
}

export interface ResolveReport {
  target: string;
  dc?: string;
  hosts: HostResult[];
  /** All addresses found, IPv4 first. */
  addresses: string[];
  /** Wireshark display filter on the addresses ('' when none). */
  displayFilter: string;
  /** tcpdump / Wireshark capture filter on the addresses ('' when none). */
  captureFilter: string;
  /** Filters by name, valid even when nothing resolved: DNS queries and TLS SNI / tcpdump resolving at start. */
  nameDisplayFilter: string;
  nameCaptureFilter: string;
  ok: boolean;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/;

/** A data-centre shortname → its API and desktop hosts; a host name or IP → itself. */
export function hostsFor(target: string): { dc?: string; hosts: string[] } {
  const t = target.trim().toLowerCase();
  const dc = knownDataCentre(t);
  if (dc) return { dc, hosts: [apiHost(dc), desktopHost(dc)] };
  if (isIP(t) || HOSTNAME.test(t)) return { hosts: [t.replace(/\.$/, '')] };
  throw new LifelineError(
    'RESOLVE_BAD_TARGET',
    `"${target}" is neither a data centre (${DATA_CENTRES.join(', ')}) nor a host name or IP address`,
    'usage',
  );
}

export function displayFilterFor(a: Addresses): string {
  return [...a.v4.map((x) => `ip.addr == ${x}`), ...a.v6.map((x) => `ipv6.addr == ${x}`)].join(' || ');
}

export function captureFilterFor(a: Addresses): string {
  return [...a.v4, ...a.v6].map((x) => `host ${x}`).join(' or ');
}

export function nameFiltersFor(hosts: string[]): { display: string; capture: string } {
  return {
    display: hosts.map((h) => `dns.qry.name == "${h}" || tls.handshake.extensions_server_name == "${h}"`).join(' || '),
    capture: hosts.map((h) => `host ${h}`).join(' or '),
  };
}

/** The operating system's resolver (getaddrinfo: hosts file, then DNS), bounded by `timeoutMs`. */
export function systemResolver(timeoutMs = 5000): Resolver {
  return (host) =>
    withTimeout(
      dns.lookup(host, { all: true, verbatim: true }).then((list) => ({
        v4: unique(list.filter((x) => x.family === 4).map((x) => x.address)),
        v6: unique(list.filter((x) => x.family === 6).map((x) => x.address)),
      })),
      timeoutMs,
      host,
    );
}

/** Asks one DNS server directly for A and AAAA (like `nslookup HOST SERVER`). */
export function serverResolver(server: string, timeoutMs = 5000): Resolver {
  const r = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  r.setServers([server]);
  return async (host) => {
    const [v4, v6] = await Promise.allSettled([r.resolve4(host), r.resolve6(host)]);
    if (v4.status === 'rejected' && v6.status === 'rejected') throw v4.reason;
    return { v4: v4.status === 'fulfilled' ? v4.value : [], v6: v6.status === 'fulfilled' ? v6.value : [] };
  };
}

/** Resolves every host of `target` with `resolver`; failures are recorded per host, never thrown. */
export async function resolveTarget(target: string, resolver: Resolver): Promise<ResolveReport> {
  const { dc, hosts } = hostsFor(target);
  const results = await Promise.all(
    hosts.map(async (host): Promise<HostResult> => {
      if (isIP(host))
        return { host, source: 'literal', v4: isIP(host) === 4 ? [host] : [], v6: isIP(host) === 6 ? [host] : [] };
      try {
        return { host, source: 'dns', ...(await resolver(host)) };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { host, source: 'dns', v4: [], v6: [], error: { code: e.code ?? 'DNS_FAILED', message: e.message } };
      }
    }),
  );
  return report(target, dc, hosts, results);
}

/** The addresses the capture's own DNS answers gave for each host of `target` (UDP and single-segment TCP, port 53). */
export async function resolveFromCapture(target: string, file: string): Promise<ResolveReport> {
  const { dc, hosts } = hostsFor(target);
  const src = await openCapture(file);
  const answers: DnsRecord[] = [];
  const seen = new Set<string>();
  const firstSeen = new Map<string, number>();
  const pkt = newDecodedPacket();
  await src.forEachRecord((rec) => {
    decodePacket(rec, pkt);
    if (pkt.srcPort !== DNS_PORT || (pkt.l4 !== 17 && pkt.l4 !== 6)) return;
    const msg = pkt.l4 === 17 ? decodeDns(pkt.payload) : decodeDnsTcp(pkt.payload);
    if (msg === null || !msg.response) return;
    for (const a of msg.answers) {
      const key = `${a.name}/${a.type}/${a.data}`;
      if (!seen.has(key)) {
        seen.add(key);
        answers.push(a);
      }
      if (!firstSeen.has(a.name)) firstSeen.set(a.name, rec.ts);
    }
  });
  const results = hosts.map((host): HostResult => {
    const r = resolveFromAnswers(answers, host);
    const v4 = r.addresses.filter((x) => isIP(x) === 4);
    const v6 = r.addresses.filter((x) => isIP(x) === 6);
    const out: HostResult = { host, source: file, v4, v6 };
    if (r.cnames.length > 0) out.cnames = r.cnames;
    const t = firstSeen.get(r.name);
    if (t !== undefined) out.firstSeen = t;
    if (v4.length + v6.length === 0)
      out.error = { code: 'NOT_IN_CAPTURE', message: `no DNS answer for ${host} in ${file}` };
    return out;
  });
  for (const p of src.problems)
    if (p.severity === 'error')
      for (const r of results)
        if (r.error) r.error.message += `; the capture has problems (${p.code} at byte ${p.offset})`;
  return report(target, dc, hosts, results);
}

function report(target: string, dc: string | undefined, hosts: string[], results: HostResult[]): ResolveReport {
  const all: Addresses = {
    v4: unique(results.flatMap((r) => r.v4)),
    v6: unique(results.flatMap((r) => r.v6)),
  };
  const names = nameFiltersFor(hosts.filter((h) => !isIP(h)));
  const rep: ResolveReport = {
    target,
    hosts: results,
    addresses: [...all.v4, ...all.v6],
    displayFilter: displayFilterFor(all),
    captureFilter: captureFilterFor(all),
    nameDisplayFilter: names.display,
    nameCaptureFilter: names.capture,
    ok: all.v4.length + all.v6.length > 0,
  };
  if (dc) rep.dc = dc;
  return rep;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function withTimeout<T>(p: Promise<T>, ms: number, host: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new Error(`no answer for ${host} within ${ms} ms`) as NodeJS.ErrnoException;
      e.code = 'ETIMEOUT';
      reject(e);
    }, ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
