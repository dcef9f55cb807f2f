// The Markdown table of a connection benchmark run (one row per server and N).
import type { RunResult } from './run.ts';
import type { Timing } from './targets.ts';

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const oneLine = (s: string) => s.replace(/\s+/g, ' ').replaceAll('|', '/');
const mib = (kib: number) => f(kib / 1024, 0);

export function markdownTable(results: RunResult[], timing: Timing): string {
  const rows = [
    `| server | N | connected | server CPU % (1 core) | RSS idle → N (MiB) | RSS / conn (KiB) | keepalive RTT p50 / p99 (ms) | server heartbeat gap p99 / max (ms) | false recoveries | silence detection − ${timing.silenceMs / 1000} s p50 / p99 / max (ms) | load-gen CPU % | load avg |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of results) {
    if (r.error && r.connected === 0) {
      rows.push(`| ${r.label} | ${r.n} | 0 | failed: ${oneLine(r.error).slice(0, 160)} | | | | | | | | ${r.loadAvg} |`);
      continue;
    }
    rows.push(
      [
        '',
        r.label,
        r.n,
        r.connected +
          (r.failedConnects ? ` (${r.failedConnects} failed)` : '') +
          (r.notStarted ? ` (ramp stopped: ${r.notStarted} not started)` : ''),
        f(r.cpuPercent),
        `${mib(r.idleRssKiB)} → ${mib(r.rssKiB)}`,
        f(r.rssPerConnKiB),
        `${f(r.rttMs.p50, 2)} / ${f(r.rttMs.p99, 1)}`,
        `${f(r.serverGapMs.p99, 0)} / ${f(r.serverGapMs.max, 0)}`,
        r.falseRecoveries + (r.error ? ` (run error: ${oneLine(r.error).slice(0, 80)})` : ''),
        `${f(r.silence.errorMs.p50, 0)} / ${f(r.silence.errorMs.p99, 0)} / ${f(r.silence.errorMs.max, 0)}` +
          (r.silence.undetected ? ` (${r.silence.undetected} of ${r.silence.sampled} never dropped)` : ''),
        f(r.loadgenCpuPercent, 0),
        r.loadAvg,
        '',
      ]
        .join(' | ')
        .trim(),
    );
  }
  return rows.join('\n');
}
