// Strict structural check of an error report against src/protocol/error-report-schema.ts (test helper).
import assert from 'node:assert/strict';
import { ERROR_REPORT_SCHEMA, type ErrorReportV1 } from '../../src/protocol/error-report-schema.ts';

const num = (v: unknown, what: string) => assert.ok(typeof v === 'number' && Number.isFinite(v), `${what} is a number`);
const str = (v: unknown, what: string) => assert.equal(typeof v, 'string', `${what} is a string`);

export function assertValidReport(r: unknown): asserts r is ErrorReportV1 {
  const x = r as ErrorReportV1;
  assert.equal(x.schema, ERROR_REPORT_SCHEMA);
  assert.equal(x.version, 1);
  num(x.createdAt, 'createdAt');
  str(x.agentId, 'agentId');
  str(x.clientId, 'clientId');
  assert.ok(x.runtime === 'node' || x.runtime === 'browser');
  str(x.serverUrl, 'serverUrl');
  assert.ok(!/token=(?!\[REDACTED\])/.test(x.serverUrl), 'no token in serverUrl');
  num(x.config.keepaliveMs, 'keepaliveMs');
  num(x.config.silenceMs, 'silenceMs');
  num(x.config.recoveryMs, 'recoveryMs');
  assert.ok(['worker', 'main', 'node'].includes(x.config.keepaliveTimer));
  num(x.clock.wallAtStart, 'wallAtStart');
  num(x.clock.monoAtStart, 'monoAtStart');
  assert.ok(Array.isArray(x.entries));
  num(x.dropped, 'dropped');
  for (const k of [
    'sent',
    'received',
    'keepalivesSent',
    'keepalivesReceived',
    'reconnects',
    'notificationsDelivered',
    'duplicatesDropped',
  ] as const) {
    num(x.totals[k], `totals.${k}`);
  }
  if (x.position !== undefined) {
    str(x.position.epoch, 'position.epoch');
    num(x.position.seq, 'position.seq');
  }
  for (const e of x.entries) {
    num(e.t, 't');
    num(e.m, 'm');
    switch (e.kind) {
      case 'sent':
      case 'received':
        str(e.type, 'type');
        num(e.size, 'size');
        if (e.via !== undefined) assert.ok(['worker', 'main', 'node', 'onmessage'].includes(e.via));
        break;
      case 'state':
        str(e.from, 'from');
        str(e.to, 'to');
        break;
      case 'reconnect':
        num(e.attempt, 'attempt');
        num(e.delayMs, 'delayMs');
        if (e.stage !== undefined) assert.ok(['subscribe', 'dns', 'tcp', 'tls', 'ws', 'unknown'].includes(e.stage));
        break;
      case 'drift':
        assert.ok(['worker', 'main', 'node'].includes(e.timer));
        num(e.expectedMs, 'expectedMs');
        num(e.actualMs, 'actualMs');
        num(e.lateMs, 'lateMs');
        num(e.wallJumpMs, 'wallJumpMs');
        break;
      case 'lifecycle':
        assert.ok(
          ['hidden', 'visible', 'freeze', 'resume', 'online', 'offline', 'discarded', 'sleep-detected'].includes(
            e.what,
          ),
        );
        break;
      case 'close':
        num(e.code, 'code');
        str(e.reason, 'reason');
        assert.equal(typeof e.wasClean, 'boolean');
        assert.ok(['desktop', 'server', 'unknown'].includes(e.by));
        break;
      case 'resume':
        assert.equal(typeof e.recovered, 'boolean');
        num(e.replayed, 'replayed');
        break;
      case 'error':
        str(e.message, 'message');
        break;
      default:
        assert.fail(`unknown entry kind ${(e as { kind: string }).kind}`);
    }
  }
}
