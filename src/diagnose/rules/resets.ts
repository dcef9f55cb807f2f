// Resets family: who sent the RST — the server's own stack or a device on the path.
import { APP_KINDS } from '../analyses.ts';
import type { EvidenceItem } from '../model.ts';
import { item, kindOf, type Rule } from './candidate.ts';
import { closeFact, serverSideRst, ttlMismatch } from './facts.ts';

/** RST whose TTL does not match the server's packets, or a device that reset a connection the server did not. */
export const ruleResetByMiddlebox: Rule = (f) => {
  const evidence: EvidenceItem[] = [];
  const contradictions: string[] = [];
  let base = 0;
  const rsts = f.closes.filter((c) => c.kind === 'conn-close' && c.how === 'rst');
  // A different TTL is another hop; a reader's "middlebox" without a TTL comparison (an IP-ID jump alone) is not.
  const forged = rsts.filter(
    (c) => ttlMismatch(c) || (c.kind === 'conn-close' && c.by === 'middlebox' && c.ttl === undefined && !c.ipIdJump),
  );
  for (const r of forged)
    evidence.push(item(r.source, r.ts, `capture: ${closeFact(r)} — not from the server's TCP stack`));
  if (forged.length) base = 0.65;
  const deviceResets = f.devices.filter(
    (d) => d.cause === 'reset-device' || d.cause === 'reset-server' || d.cause === 'reset-client',
  );
  const captureCovers = f.wire.length > 0;
  const realServerRst = rsts.some(
    (c) => serverSideRst(c) && !ttlMismatch(c) && f.sources.get(c.source)?.kind === 'capture',
  );
  for (const d of deviceResets) {
    if (d.cause === 'reset-device') {
      // A device logging that it reset the flow itself is direct evidence; an RST "from the server" with a
      // plausible TTL is not evidence against it (a middlebox answering on the server's behalf looks like that).
      evidence.push(
        item(d.source, d.ts, `device log: the device itself reset the connection (${d.reason ?? d.cause})`),
      );
      base = Math.max(base, 0.7);
    } else if (captureCovers && !realServerRst) {
      evidence.push(
        item(
          d.source,
          d.ts,
          `device log: teardown "${d.reason ?? d.cause}", but the PC capture shows no RST from the server's stack`,
        ),
      );
      base = Math.max(base, 0.6);
    }
    if (d.clockUncertain)
      contradictions.push(`${d.source}: the device clock is uncertain; the line may belong to another time`);
  }
  // A reset seen only by the browser (ERR_CONNECTION_RESET): could be either; the seed points at the network first.
  const blind = f.closes.filter(
    (c) =>
      c.kind === 'conn-close' &&
      (c.how === 'rst' || (c.how === 'error' && /reset/i.test(c.reason ?? ''))) &&
      (c.by === undefined || c.by === 'unknown') &&
      APP_KINDS.includes(f.sources.get(c.source)?.kind ?? 'capture'),
  );
  if (!base && blind.length) {
    base = 0.4;
    for (const r of blind) evidence.push(item(r.source, r.ts, `${kindOf(f, r.source)}: ${closeFact(r)}`));
    contradictions.push(
      'only the browser saw the reset; the server may have sent it (a capture, step 6, shows the TTL)',
    );
  }
  if (!base) return null;
  return {
    cause: 'reset-by-middlebox',
    domain: 'network',
    summary: 'A device on the path (firewall, proxy, NAT) reset the connection.',
    base,
    evidence,
    contradictions,
  };
};

/**
 * RST from the server's side with the TTL of its earlier packets. That fits the server's own stack and any device at
 * the same hop distance (its load balancer, a NAT or firewall on its host or right in front of it): the verdict names
 * both, at a confidence that says so; a capture at the server side tells them apart.
 */
export const ruleResetByServer: Rule = (f) => {
  const rsts = f.closes.filter((c) => serverSideRst(c) && !ttlMismatch(c));
  const evidence: EvidenceItem[] = rsts.map((r) => item(r.source, r.ts, `${kindOf(f, r.source)}: ${closeFact(r)}`));
  for (const r of rsts)
    if (r.kind === 'conn-close' && r.ipIdJump)
      evidence.push(
        item(
          r.source,
          r.ts,
          "capture: the RST's IP ID is out of the sender's sequence — not proof of another sender (random IP-ID counters are common)",
        ),
      );
  const contradictions: string[] = [];
  let base = rsts.length ? 0.5 : 0;
  const deviceServer = f.devices.filter((d) => d.cause === 'reset-server');
  for (const d of deviceServer) {
    if (rsts.length)
      evidence.push(item(d.source, d.ts, `device log: teardown "${d.reason ?? d.cause}" (reset from the server side)`));
    else if (!f.wire.length) {
      evidence.push(item(d.source, d.ts, `device log: teardown "${d.reason ?? d.cause}" (reset from the server side)`));
      contradictions.push(
        'only a device log shows the reset; a device beyond it could have sent it (a PC capture, step 6, shows the TTL)',
      );
      base = Math.max(base, 0.45);
    }
  }
  if (!base) return null;
  const deviceOwn = f.devices.filter((d) => d.cause === 'reset-device');
  if (deviceOwn.length) {
    contradictions.push(
      `${deviceOwn[0].source}: the device says it reset the connection itself (${deviceOwn[0].reason ?? 'reset'})`,
    );
    base -= 0.2;
  }
  if (rsts.some((r) => r.kind === 'conn-close' && r.ttl === undefined && kindOf(f, r.source) === 'capture'))
    contradictions.push('the RST carries no TTL comparison; a middlebox spoofing the server is not ruled out');
  return {
    cause: 'reset-by-server',
    domain: 'backend',
    summary:
      "The connection was reset from the server's side: its own TCP stack, or a device at the same hop distance (its load balancer, a NAT or firewall in front of it).",
    base,
    evidence,
    contradictions,
  };
};
