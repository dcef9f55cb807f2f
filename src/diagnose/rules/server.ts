// Server family: Notifs' TCP stack alive, its application silent.
import type { EvidenceItem } from '../model.ts';
import { fromTrigger, fromWire, kindOf, type Rule } from './candidate.ts';
import { tcpAlive } from './facts.ts';

/** TCP alive (the server ACKs the desktop's data, sends segments or pings) but no application messages from Notifs. */
export const ruleServerStalled: Rule = (f) => {
  const alive = f.wire.filter((w) => {
    const d = w.duringS2cSilence;
    return d && tcpAlive(d) && (d.c2sMessages > 0 || w.c2sRetrans > 0);
  });
  if (!alive.length) return null;
  const evidence: EvidenceItem[] = [];
  const contradictions: string[] = [];
  let base = 0.65;
  if (f.fails.length || f.stuckConnects.length) {
    contradictions.push(
      `${f.fails.length + f.stuckConnects.length} new connection(s) failed too: a path or whole-service failure, not one stalled socket (and a TCP-terminating proxy ACKs on the server's behalf)`,
    );
    base = 0.4;
  }
  // ACKs at the PC prove only that the next TCP endpoint lives: a TCP-terminating proxy or SSL inspection answers
  // for the server too. What tells a stalled server is a new connection that works while the old one stays silent.
  if (f.incident.outcome.status !== 'recovered' && !f.fails.length && !f.stuckConnects.length)
    contradictions.push(
      'nothing shows a new connection working meanwhile: a TCP-terminating proxy or SSL inspection that stopped forwarding looks the same from the PC',
    );
  if (f.bursts.some((b) => b.sourceKind === 'capture')) {
    contradictions.push('the silence ended with a burst on the wire: held on the path, or flushed by the server');
    base = 0.45;
  }
  for (const s of f.wireSilent.s2c) evidence.push(fromTrigger(s, 'capture: '));
  for (const w of alive)
    evidence.push(
      fromWire(
        w,
        `capture: the server's TCP stack stayed alive (${w.duringS2cSilence!.s2cAcks} ACK advance(s) for the desktop's data${w.duringS2cSilence!.s2cPings ? `, ${w.duringS2cSilence!.s2cPings} ping(s)` : ''}) but sent no message`,
      ),
    );
  for (const s of f.appSilent.s2c) evidence.push(fromTrigger(s, `${kindOf(f, s.source)}: `));
  return {
    cause: 'server-stalled',
    domain: 'backend',
    summary: 'The server kept the TCP connection alive but Notifs sent no messages.',
    base,
    evidence,
    contradictions,
  };
};
