// `lifeline capture inspect`: one streaming pass over a capture and a summary a support engineer can read —
// time span, flows and their states, WebSocket and TLS flows (with the keepalive rhythm), DNS names, TCP anomaly
// counts, and every problem with its byte offset.
import { formatDuration } from '../duration.ts';
import type { Problem } from '../events/types.ts';
import type { FlowSummary, TlsFlowSummary, WsFlowSummary } from './analysis/capture-analyzer.ts';
import { analyzeCapture, type CaptureEventsOptions } from './capture-events.ts';

export interface InspectReport {
  file: string;
  format: string;
  gzip: boolean;
  fileSize: number;
  packets: number;
  bytes: number;
  firstTs?: number;
  lastTs?: number;
  durationMs: number;
  flows: { total: number; byState: Record<string, number>; interesting: number; list: FlowSummary[] };
  wsFlows: WsFlowSummary[];
  tlsFlows: TlsFlowSummary[];
  /** TLS flows whose rhythm looks like the Notifs keepalive (periodic small records both ways, ~4 s). */
  notifsCandidates: string[];
  dnsNames: { name: string; addresses: string[]; firstTs: number; cnames?: string[] }[];
  anomalies: Record<string, number>;
  problems: Problem[];
  problemCounts: Record<string, number>;
  nonIpPackets: number;
  udpPackets: number;
  elapsedMs: number;
}

export async function inspectCapture(file: string, opts: CaptureEventsOptions = {}): Promise<InspectReport> {
  const started = performance.now();
  const r = await analyzeCapture(file, { ...opts, keepEvents: false });
  const m = r.meta as Record<string, unknown> & {
    firstTs?: number;
    lastTs?: number;
    packets: number;
    bytes: number;
    flows: InspectReport['flows'];
    wsFlows: WsFlowSummary[];
    tlsFlows: TlsFlowSummary[];
    dnsNames: InspectReport['dnsNames'];
    anomalies: Record<string, number>;
    problemCounts: Record<string, number>;
    nonIpPackets: number;
    udpPackets: number;
    gzip: boolean;
  };
  const report: InspectReport = {
    file,
    format: r.format,
    gzip: m.gzip,
    fileSize: r.fileSize,
    packets: m.packets,
    bytes: m.bytes,
    durationMs: m.firstTs !== undefined && m.lastTs !== undefined ? m.lastTs - m.firstTs : 0,
    flows: m.flows,
    wsFlows: m.wsFlows,
    tlsFlows: m.tlsFlows,
    notifsCandidates: m.tlsFlows.filter((t) => t.rhythm.looksLikeKeepalive).map((t) => t.key),
    dnsNames: m.dnsNames,
    anomalies: m.anomalies,
    problems: r.problems,
    problemCounts: m.problemCounts,
    nonIpPackets: m.nonIpPackets,
    udpPackets: m.udpPackets,
    elapsedMs: Math.round(performance.now() - started),
  };
  if (m.firstTs !== undefined) report.firstTs = m.firstTs;
  if (m.lastTs !== undefined) report.lastTs = m.lastTs;
  return report;
}

const iso = (ts: number): string => new Date(ts).toISOString();

function human(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Control characters in strings from the capture (Host headers, SNI, reasons) are shown escaped. */
function safe(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function formatInspect(r: InspectReport, maxFlows = 20): string {
  const out: string[] = [];
  out.push(`${safe(r.file)}: ${r.format}${r.gzip ? ' (gzip)' : ''}, ${human(r.fileSize)}`);
  out.push(`  packets   ${r.packets} (${human(r.bytes)} on the wire; ${r.udpPackets} UDP, ${r.nonIpPackets} non-IP)`);
  if (r.firstTs !== undefined && r.lastTs !== undefined) {
    out.push(`  time      ${iso(r.firstTs)} → ${iso(r.lastTs)} (${formatDuration(r.durationMs)})`);
  }
  const states = Object.entries(r.flows.byState)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out.push(`  flows     ${r.flows.total} TCP${states ? ` (${states})` : ''}`);
  const shown = r.flows.list.slice(0, maxFlows);
  for (const f of shown) {
    const anomalies = Object.entries(f.anomalies)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    let line = `    ${f.key}  ${f.state} ${f.history}  ${f.app}${f.sni ? ` sni=${safe(f.sni)}` : ''}`;
    line += `  pkts ${f.packets[0]}/${f.packets[1]} bytes ${f.payloadBytes[0]}/${f.payloadBytes[1]}`;
    if (f.close) {
      line += `  ${f.close.how} by ${f.close.by}`;
      if (f.close.ttl !== undefined)
        line += ` (ttl ${f.close.ttl}${f.close.expectedTtl ? `, usual ${f.close.expectedTtl}` : ''})`;
    }
    if (anomalies) line += `  [${anomalies}]`;
    out.push(line);
  }
  if (r.flows.list.length > shown.length)
    out.push(`    … ${r.flows.list.length - shown.length} more (--json lists them)`);
  if (r.wsFlows.length) {
    out.push(`  websocket ${r.wsFlows.length}`);
    for (const w of r.wsFlows) {
      const cls = Object.entries(w.byClass)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      let line = `    ${w.key}  ${w.secure ? 'wss' : 'ws'}://${safe(w.host ?? '?')}${safe(w.path ?? '')}`;
      line += `${w.deflate ? ' deflate' : ''}${w.midStream ? ' (mid-stream)' : ''}`;
      line += `  msgs ${w.messages.c2s}→ ${w.messages.s2c}←  ${cls}`;
      if (w.close)
        line += `  close ${w.close.code ?? ''} by ${w.close.by}${w.close.reason ? ` "${safe(w.close.reason)}"` : ''}`;
      out.push(line);
    }
  }
  if (r.tlsFlows.length) {
    out.push(`  tls       ${r.tlsFlows.length}`);
    for (const t of r.tlsFlows.slice(0, maxFlows)) {
      const rh = t.rhythm;
      let line = `    ${t.key}  ${t.sni ? `sni=${safe(t.sni)}` : 'no sni'}  records ${t.records} (app ${t.appRecords})`;
      if (rh.c2s.periodMs || rh.s2c.periodMs) {
        line += `  small-record period ${rh.c2s.periodMs}/${rh.s2c.periodMs} ms jitter ${rh.c2s.jitterMs}/${rh.s2c.jitterMs}`;
      }
      if (rh.looksLikeKeepalive) line += '  ← keepalive rhythm (Notifs?)';
      if (t.decryptedRecords) line += `  decrypted ${t.decryptedRecords}`;
      out.push(line);
    }
  }
  if (r.dnsNames.length) {
    out.push(`  dns       ${r.dnsNames.length} names`);
    for (const d of r.dnsNames.slice(0, maxFlows))
      out.push(`    ${safe(d.name)} → ${d.addresses.join(', ') || '(no address)'}`);
  }
  const an = Object.entries(r.anomalies);
  out.push(`  anomalies ${an.length ? an.map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`);
  if (r.problems.length) {
    out.push(`  problems  ${r.problems.length}`);
    for (const p of r.problems.slice(0, 30)) {
      out.push(
        `    ${p.severity} ${p.code} at ${p.offset !== undefined ? `byte ${p.offset}` : `line ${p.line}`}: ${safe(p.message)}`,
      );
    }
    const over = Object.entries(r.problemCounts).filter(([, n]) => n > 20);
    for (const [code, n] of over) out.push(`    (${code}: ${n} in total)`);
  }
  return `${out.join('\n')}\n`;
}
