// Markdown tables of a Redis storm run (stdout of bench/redis-storm.sh and the BENCHMARKS.md section).
import type { Summary } from '../connection/stats.ts';
import type { CommandCount, LatencyResult, StormOptions, StormResult } from './run.ts';

const f = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '—');
const q = (x: Summary, digits = 0) =>
  `${f(x.p50, digits)} / ${f(x.p90, digits)} / ${f(x.p99, digits)} / ${f(x.max, digits)}`;
const k = (x: number) => (Number.isFinite(x) ? `${Math.round(x).toLocaleString('en-US')}` : '—');

const perOp = (cs: CommandCount[]) =>
  cs
    .filter((c) => c.perOp >= 0.01)
    .map((c) => `${c.command} ${f(c.perOp, 2)}`)
    .join(', ') || '—';

export function stormTable(r: StormResult, o: StormOptions): string {
  const res = r.resume;
  const failures = Object.entries(res.failures)
    .map(([why, count]) => `${why} ${count}`)
    .join(', ');
  const rows: [string, string][] = [
    [
      'desktops connected (of requested)',
      `${r.connected} of ${r.desktops}${r.connectFailed ? ` (${r.connectFailed} failed)` : ''}`,
    ],
    ['initial connect (round-robin over nodes)', `${s(r.connectMs)}, ${k(r.connectRefusals)} × 429`],
    [
      `steady state: ${o.before} published per agent, all delivered in`,
      `${s(r.steady.deliveredMs)}${r.steady.undelivered ? ` (${r.steady.undelivered} undelivered)` : ''}`,
    ],
    [
      `outage: ${o.during} published per agent while down (${k(r.outage.published)} publishes, ${r.outage.errors} errors)`,
      `${s(r.outage.ms)}; Redis ${k(r.outage.opsMean)} ops/s mean, ${k(r.outage.opsPeak)} peak`,
    ],
    [
      `**all desktops resumed on ${o.resumeShift % r.nodes === 0 ? 'the same node as before' : 'another node'}, from the first resubscribe**`,
      `**${s(res.allResumedMs)}**`,
    ],
    ['all desktops resumed, from the drop (outage publishing included)', s(res.fromDropMs)],
    ['desktops not recovered (must be 0)', `${res.notRecovered}${failures ? ` (${failures})` : ''}`],
    ['per desktop, ms from the resubscribe: subscribe answered p50 / p90 / p99 / max', q(res.subscribedMs)],
    ['… Welcome p50 / p90 / p99 / max', q(res.welcomeMs)],
    [`… all ${o.during} replays in p50 / p90 / p99 / max`, q(res.settledMs)],
    [
      'subscribes refused 429 (rate limit): desktops / answers',
      `${k(res.refusedDesktops)} / ${k(res.refusals)}; backoff per refused desktop p50 / p90 / p99 / max ${q(res.backoffMs)} ms`,
    ],
    ['… desktops never refused: all replays in p50 / p90 / p99 / max', q(res.unrefusedSettledMs)],
    ['storm time the 429s account for (all resumed − last never-refused desktop)', s(res.rateLimitShareMs)],
    [
      `token-bucket floor for ${Math.ceil(r.connected / r.nodes)} subscribes at once per node (1000/s, burst 2000)`,
      s(res.rateLimitFloorMs),
    ],
    [
      'replayed notifications (desktops / nodes’ /metrics) / replay throughput',
      `${k(res.replayed)} / ${k(res.serverReplayed)} / ${k(res.replayPerSec)} per s`,
    ],
    ['per desktop, Welcome → last replay p50 / p90 / p99 / max (ms)', q(res.replayAfterWelcomeMs, 1)],
    ['complete recoveries counted by the nodes', k(res.serverRecoveriesComplete)],
    ['duplicates dropped by desktops', String(res.duplicates)],
    [
      'TCP during the resume: listen-queue overflows / SYN retransmits',
      `${f(res.tcp.ListenOverflows ?? Number.NaN)} / ${f(res.tcp.TCPSynRetrans ?? Number.NaN)}`,
    ],
    [
      'Redis ops/s during the resume: mean / peak (250 ms samples)',
      `${k(res.opsMean)} / ${k(res.opsPeak)} (${k(res.redisCommands)} commands)`,
    ],
    ['Redis commands per publish (commandstats; Lua scripts’ inner commands included)', perOp(r.outageCommands)],
    ['Redis commands per resumed desktop', perOp(r.resumeCommands)],
    ...r.cpu.map((c): [string, string] => [
      `CPU % of one core, ${c.name}: publish while down / resume`,
      `${f(c.publishPct)} / ${f(c.resumePct)}`,
    ]),
    ['load generators CPU % during the resume (all processes)', f(res.loadgenCpuPct)],
    [
      'whole machine busy, % of all cores (every user): publish while down / resume',
      `${f(r.machineBusyPct.publish)} / ${f(r.machineBusyPct.resume)}`,
    ],
    ['resumed desktops per 0.5 s (cumulative)', res.timeline.filter((_, i) => i % 2 === 1).join(' ')],
    ['load average after the storm', r.loadAvg],
  ];
  if (r.error) rows.push(['**run error**', r.error.replaceAll('|', '/')]);
  if (r.firstError) rows.push(['first desktop error', r.firstError.replaceAll('|', '/').slice(0, 160)]);
  return [
    `Reconnect storm: ${r.desktops} desktops, ${r.nodes} Notifs node(s), ${o.stormStore === 'memory' ? 'memory store (no Redis)' : 'one Redis'}`,
    '',
    '| measure | value |',
    '|---|---|',
    ...rows.map(([a, b]) => `| ${a} | ${b} |`),
  ].join('\n');
}

export function latencyTable(rs: LatencyResult[]): string {
  const rows = rs.map((r) =>
    [
      '',
      r.label,
      r.desktops,
      `${r.ratePerSec}/s`,
      r.latencyMs.count,
      q(r.latencyMs, 2),
      `${f(r.publishMs.p50, 2)} / ${f(r.publishMs.p99, 2)}`,
      `${r.lost} / ${r.skipped} / ${r.errors}`,
      f(r.nodeCpuPct),
      r.loadAvg + (r.error ? ` (error: ${r.error.replaceAll('|', '/').slice(0, 80)})` : ''),
      '',
    ]
      .join(' | ')
      .trim(),
  );
  return [
    'Per-notification latency: publish call → desktop receipt',
    '',
    '| setup | desktops | rate | samples | latency p50 / p90 / p99 / max (ms) | publish answer p50 / p99 (ms) | lost / skipped / errors | node CPU % | load avg |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}
