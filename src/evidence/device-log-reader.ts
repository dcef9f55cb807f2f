// Firewall / device logs (seed step 7) → device-log events: Cisco ASA/FTD syslog, Palo Alto traffic CSV,
// FortiGate key=value, Linux conntrack -E. One file may mix vendors (a syslog server's file). Unknown lines are
// counted and reported with their line numbers, never fatal.
import { stat } from 'node:fs/promises';
import type { DeviceLogEvent, EvidenceResult, Problem } from '../events/types.ts';
import { AsaParser, type DeviceLineResult } from './device-asa.ts';
import { ConntrackParser } from './device-conntrack.ts';
import { FortiParser } from './device-fortigate.ts';
import { PanParser } from './device-panos.ts';
import type { YearHint } from './device-time.ts';
import { streamFile } from './file-source.ts';
import { LineSplitter } from './line-splitter.ts';

export type Vendor = DeviceLogEvent['vendor'];
const RAW_CAP = 1024;
const MAX_LINE_PROBLEMS = 20;

interface VendorParser {
  vendor: Vendor;
  parse(text: string, raw: string): DeviceLineResult | undefined;
}

/** Which vendor's lines a text sample contains (first match in the first 2000 lines), or undefined. */
export function detectDeviceVendor(text: string): Vendor | undefined {
  const lines = text.split('\n', 2000);
  for (const l of lines) {
    if (AsaParser.matches(l)) return 'cisco-asa';
    if (ConntrackParser.matches(l)) return 'conntrack';
    if (FortiParser.matches(l)) return 'fortigate';
    if (PanParser.matches(l)) return 'palo-alto';
  }
  return undefined;
}

export class DeviceLogMapper {
  readonly events: DeviceLogEvent[] = [];
  private readonly problems: Problem[] = [];
  private readonly parsers: VendorParser[];
  private last = 0;
  private readonly counts = { lines: 0, blank: 0, mapped: 0, ignored: 0, untimed: 0, unknown: 0, cut: 0, bad: 0 };
  private readonly unknownLines: number[] = [];
  private readonly vendors = new Map<Vendor, number>();
  private readonly offsets = new Map<number, number>();
  /** Per-line notes said once per file: "code\0message" → how many lines, and the first. */
  private readonly notes = new Map<string, { code: string; message: string; count: number; line: number }>();
  private uncertain = 0;

  constructor(
    private readonly file: string,
    hint: YearHint,
  ) {
    const asa = new AsaParser(hint);
    const pan = new PanParser(hint);
    const forti = new FortiParser(hint);
    const ct = new ConntrackParser();
    this.parsers = [
      { vendor: 'cisco-asa', parse: (t, r) => asa.parse(t, r) },
      { vendor: 'conntrack', parse: (t, r) => ct.parse(t, r) },
      { vendor: 'fortigate', parse: (t, r) => forti.parse(t, r) },
      { vendor: 'palo-alto', parse: (t, r) => pan.parse(t, r) },
    ];
  }

  line(text: string, lineNo: number, cut: boolean): void {
    this.counts.lines++;
    if (cut) {
      this.counts.cut++;
      this.problem('DEVICE_LINE_TOO_LONG', `line ${lineNo} is longer than the line cap and was cut`, lineNo, 'warning');
    }
    if (text.trim() === '') {
      this.counts.blank++;
      return;
    }
    const raw = text.length > RAW_CAP ? text.slice(0, RAW_CAP) : text;
    // Try the vendor of the previous line first: files are usually one vendor.
    for (let k = 0; k < this.parsers.length; k++) {
      const idx = (this.last + k) % this.parsers.length;
      const p = this.parsers[idx];
      let r: DeviceLineResult | undefined;
      try {
        r = p.parse(text, raw);
      } catch (err) {
        // A parser bug must not lose the rest of the file.
        this.problem('DEVICE_PARSER_BUG', `line ${lineNo}: ${(err as Error).message}`, lineNo, 'error');
        r = { kind: 'ignored' };
      }
      if (!r) continue;
      this.last = idx;
      this.vendors.set(p.vendor, (this.vendors.get(p.vendor) ?? 0) + 1);
      if (r.kind === 'ignored') {
        this.counts.ignored++;
        return;
      }
      if (r.kind === 'bad') {
        this.counts.bad++;
        this.problem('DEVICE_BAD_LINE', `line ${lineNo}: ${r.why}`, lineNo, 'warning');
        return;
      }
      if (r.kind === 'untimed') {
        this.counts.untimed++;
        return;
      }
      const ev: DeviceLogEvent = { ...r.ev, source: this.file, sourceKind: 'device-log', line: lineNo };
      if (ev.clockUncertain) this.uncertain++;
      if (r.utcOffsetMin !== undefined) this.offsets.set(r.utcOffsetMin, (this.offsets.get(r.utcOffsetMin) ?? 0) + 1);
      if (r.note) this.note(r.note, lineNo);
      this.events.push(ev);
      this.counts.mapped++;
      return;
    }
    this.counts.unknown++;
    if (this.unknownLines.length < MAX_LINE_PROBLEMS) {
      this.unknownLines.push(lineNo);
      this.problem('DEVICE_UNKNOWN_LINE', `line ${lineNo} matches no known device log format`, lineNo, 'warning');
    }
  }

  private note(n: { code: string; message: string }, line: number): void {
    const key = `${n.code}\0${n.message}`;
    const seen = this.notes.get(key);
    if (seen) seen.count++;
    else if (this.notes.size < 20) this.notes.set(key, { ...n, count: 1, line });
  }

  private problem(code: string, message: string, line: number, severity: 'error' | 'warning'): void {
    if (this.problems.length < 200) this.problems.push({ code, message, file: this.file, line, severity });
  }

  finish(extra: Problem[]): EvidenceResult {
    const problems = [...extra, ...this.problems];
    if (this.counts.unknown > this.unknownLines.length) {
      problems.push({
        code: 'DEVICE_UNKNOWN_LINES',
        message: `${this.counts.unknown} lines in total match no known format (first ones listed above)`,
        file: this.file,
        line: this.unknownLines[0],
        severity: 'warning',
      });
    }
    for (const n of this.notes.values()) {
      const more = n.count > 1 ? ` and ${n.count - 1} more line${n.count > 2 ? 's' : ''}` : '';
      problems.push({
        code: n.code,
        message: `line ${n.line}${more}: ${n.message}`,
        file: this.file,
        line: n.line,
        severity: 'warning',
      });
    }
    if (this.counts.untimed > 0) {
      problems.push({
        code: 'DEVICE_NO_TIME',
        message:
          `${this.counts.untimed} lines carry no timestamp and cannot be placed on the timeline ` +
          '(for conntrack use `conntrack -E -o timestamp`; for ASA enable `logging timestamp`)',
        file: this.file,
        severity: 'warning',
      });
    }
    this.events.sort((a, b) => a.ts - b.ts);
    const vendors = [...this.vendors.entries()].sort((a, b) => b[1] - a[1]).map(([v]) => v);
    const meta: EvidenceResult['meta'] = {
      blindTo: ['ws-messages', 'ws-control', 'tcp-segments'],
      vendors,
      lines: this.counts,
      clockUncertainEvents: this.uncertain,
    };
    // Only when the lines said so; several different stated zones: the most common one.
    if (this.offsets.size) meta.utcOffsetMin = [...this.offsets.entries()].sort((a, b) => b[1] - a[1])[0][0];
    if (this.events.length) {
      meta.firstTs = this.events[0].ts;
      meta.lastTs = this.events[this.events.length - 1].ts;
    }
    return {
      file: this.file,
      kind: 'device-log',
      format: vendors[0] ?? 'unknown',
      events: this.events,
      problems,
      meta,
    };
  }
}

export interface DeviceLogOptions {
  /** Year for syslog lines without one (default: the file's modification year). */
  year?: number;
  progress?: (done: number, total: number) => void;
}

export async function readDeviceLog(file: string, opts: DeviceLogOptions = {}): Promise<EvidenceResult> {
  let hint: YearHint;
  if (opts.year !== undefined) hint = { year: opts.year };
  else {
    let mtime = new Date();
    try {
      mtime = (await stat(file)).mtime;
    } catch {
      // streamFile reports the read problem below.
    }
    hint = { year: mtime.getUTCFullYear(), refMonth: mtime.getUTCMonth() };
  }
  const mapper = new DeviceLogMapper(file, hint);
  const splitter = new LineSplitter(64 * 1024);
  const extra: Problem[] = [];
  const r = await streamFile(
    file,
    (c) => {
      for (const l of splitter.push(c)) mapper.line(l.text, l.line, l.cut);
      return true;
    },
    opts,
  );
  for (const l of splitter.end()) mapper.line(l.text, l.line, l.cut);
  if (r.problem) extra.push(r.problem);
  const res = mapper.finish(extra);
  res.meta.yearAssumed = hint.year;
  return res;
}
