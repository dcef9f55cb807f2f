// DNS responses → what the PC resolved (queried name, CNAME chain, A/AAAA addresses), for dns-answer events and
// `capture extract --host`. A thin adapter over the shared decoder (src/capture/decode/dns.ts).
import { DNS_A, DNS_AAAA, DNS_CNAME, decodeDns, resolveFromAnswers } from '../decode/dns.ts';
import type { DnsAnswer } from './capture-analyzer.ts';

const ANY = 255;

/** The answer of a DNS response message (UDP payload) to its A/AAAA/CNAME/ANY question, or null. */
export function dnsAnswers(b: Uint8Array): DnsAnswer[] | null {
  const m = decodeDns(b);
  if (!m?.response || m.questions.length === 0) return null;
  const q = m.questions[0];
  if (q.type !== DNS_A && q.type !== DNS_AAAA && q.type !== DNS_CNAME && q.type !== ANY) return null;
  const r = resolveFromAnswers(m.answers, q.name);
  const res: DnsAnswer = { name: r.name, addresses: r.addresses, rcode: m.rcode };
  if (r.cnames.length) res.cnames = r.cnames;
  return [res];
}
