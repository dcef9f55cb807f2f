// NSS key log parsing ("SSLKEYLOGFILE" format): `<LABEL> <client_random hex> <secret hex>` per line. Browsers, curl,
// Node's `keylog` event and pcapng Decryption Secrets Blocks all produce it. Bad lines become Problems with their
// line number; parsing never throws and always keeps the good lines.

import type { Problem } from '../../events/types.ts';

/** Secrets for one TLS connection, keyed in a KeyLog by its ClientHello random. */
export interface TlsSecrets {
  /** `CLIENT_RANDOM`: the TLS ≤ 1.2 master secret (48 bytes). */
  masterSecret?: Uint8Array;
  /** `CLIENT_EARLY_TRAFFIC_SECRET` (TLS 1.3 0-RTT). */
  clientEarlyTrafficSecret?: Uint8Array;
  /** `CLIENT_HANDSHAKE_TRAFFIC_SECRET`. */
  clientHandshakeTrafficSecret?: Uint8Array;
  /** `SERVER_HANDSHAKE_TRAFFIC_SECRET`. */
  serverHandshakeTrafficSecret?: Uint8Array;
  /** `CLIENT_TRAFFIC_SECRET_0`. */
  clientTrafficSecret0?: Uint8Array;
  /** `SERVER_TRAFFIC_SECRET_0`. */
  serverTrafficSecret0?: Uint8Array;
  /** `EXPORTER_SECRET` (kept for completeness; not needed to decrypt). */
  exporterSecret?: Uint8Array;
  /** `EARLY_EXPORTER_SECRET` / `EARLY_EXPORTER_MASTER_SECRET` (kept; not needed to decrypt). */
  earlyExporterSecret?: Uint8Array;
}

export interface KeyLog {
  /** Lower-case hex of the 32-byte client random → its secrets. */
  readonly secrets: Map<string, TlsSecrets>;
  /** Bad or unusable lines, with file and 1-based line number. */
  readonly problems: Problem[];
  /** Number of lines that contributed a secret. */
  readonly entries: number;
}

type SecretField = keyof TlsSecrets;

const LABELS: Record<string, SecretField> = {
  CLIENT_RANDOM: 'masterSecret',
  CLIENT_EARLY_TRAFFIC_SECRET: 'clientEarlyTrafficSecret',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'clientHandshakeTrafficSecret',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'serverHandshakeTrafficSecret',
  CLIENT_TRAFFIC_SECRET_0: 'clientTrafficSecret0',
  SERVER_TRAFFIC_SECRET_0: 'serverTrafficSecret0',
  EXPORTER_SECRET: 'exporterSecret',
  EARLY_EXPORTER_SECRET: 'earlyExporterSecret',
  EARLY_EXPORTER_MASTER_SECRET: 'earlyExporterSecret',
};

/** Labels other tools write that carry no secret we can use (RSA pre-master, ECH); reported as a warning. */
const UNUSABLE_LABELS = new Set(['RSA', 'ECH_SECRET', 'ECH_CONFIG', 'CLIENT_RANDOM_PMS', 'PMS_CLIENT_RANDOM']);

const HEX_RE = /^[0-9a-fA-F]*$/;

/** Decode even-length hex; undefined when not hex. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !HEX_RE.test(hex)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** An empty key log (to merge into). */
export function emptyKeyLog(): KeyLog {
  return { secrets: new Map(), problems: [], entries: 0 };
}

/**
 * Parse NSS key log text. Comments (`#`) and blank lines are skipped; every other line that is not
 * `LABEL <64 hex> <hex secret>` with a known label and a plausible secret length becomes a Problem
 * (`KEYLOG_BAD_LINE`, `KEYLOG_BAD_HEX`, `KEYLOG_BAD_LENGTH`, `KEYLOG_UNKNOWN_LABEL`, `KEYLOG_UNUSABLE_LABEL`,
 * `KEYLOG_CONFLICT`). Never throws.
 *
 * @param text the whole key log
 * @param file name used in problems (a path, or e.g. `capture.pcapng#dsb0` for a Decryption Secrets Block)
 */
export function parseKeyLog(text: string, file = 'keylog'): KeyLog {
  const log = { secrets: new Map<string, TlsSecrets>(), problems: [] as Problem[], entries: 0 };
  const str = typeof text === 'string' ? text : '';
  let start = 0;
  let lineNo = 0;
  // Manual line walk: no giant split array for multi-megabyte logs.
  while (start <= str.length) {
    let end = str.indexOf('\n', start);
    if (end === -1) end = str.length;
    lineNo++;
    const line = str.slice(start, end).trim();
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    parseLine(log, line, file, lineNo);
  }
  return log;
}

function problem(
  log: { problems: Problem[] },
  code: string,
  message: string,
  file: string,
  line: number,
  warn = false,
) {
  log.problems.push({ code, message, file, line, severity: warn ? 'warning' : 'error' });
}

function parseLine(
  log: { secrets: Map<string, TlsSecrets>; problems: Problem[]; entries: number },
  line: string,
  file: string,
  lineNo: number,
): void {
  const fields = line.split(/\s+/);
  const label = fields[0];
  const field = LABELS[label];
  if (field === undefined) {
    if (UNUSABLE_LABELS.has(label)) {
      problem(log, 'KEYLOG_UNUSABLE_LABEL', `${label} lines are not used for decryption`, file, lineNo, true);
    } else if (/^[A-Z0-9_]+$/.test(label) && fields.length === 3) {
      problem(log, 'KEYLOG_UNKNOWN_LABEL', `unknown key log label ${label.slice(0, 64)}`, file, lineNo, true);
    } else {
      problem(log, 'KEYLOG_BAD_LINE', 'not a key log line (expected "LABEL <client random> <secret>")', file, lineNo);
    }
    return;
  }
  if (fields.length !== 3) {
    problem(log, 'KEYLOG_BAD_LINE', `${label}: expected 3 fields, got ${fields.length}`, file, lineNo);
    return;
  }
  const random = hexToBytes(fields[1]);
  const secret = hexToBytes(fields[2]);
  if (random === undefined || secret === undefined) {
    problem(log, 'KEYLOG_BAD_HEX', `${label}: client random or secret is not even-length hex`, file, lineNo);
    return;
  }
  if (random.length !== 32) {
    problem(log, 'KEYLOG_BAD_LENGTH', `${label}: client random is ${random.length} bytes, expected 32`, file, lineNo);
    return;
  }
  const okLen = field === 'masterSecret' ? secret.length === 48 : secret.length === 32 || secret.length === 48;
  if (!okLen) {
    const want = field === 'masterSecret' ? '48' : '32 or 48';
    problem(log, 'KEYLOG_BAD_LENGTH', `${label}: secret is ${secret.length} bytes, expected ${want}`, file, lineNo);
    return;
  }
  const r = addSecret(log, fields[1].toLowerCase(), field, secret);
  if (r === 'new') log.entries++;
  else if (r === 'conflict')
    problem(
      log,
      'KEYLOG_CONFLICT',
      `${label}: a different secret for this client random was seen before; keeping the first`,
      file,
      lineNo,
      true,
    );
}

/** Add one secret; 'conflict' when a different value is already stored (the first one wins). */
function addSecret(
  log: { secrets: Map<string, TlsSecrets> },
  randomHex: string,
  field: SecretField,
  secret: Uint8Array,
): 'new' | 'same' | 'conflict' {
  let entry = log.secrets.get(randomHex);
  if (entry === undefined) {
    entry = {};
    log.secrets.set(randomHex, entry);
  }
  const old = entry[field];
  if (old !== undefined) return sameBytes(old, secret) ? 'same' : 'conflict';
  entry[field] = secret;
  return 'new';
}

/**
 * Merge key logs (e.g. a `--keylog` file and every pcapng Decryption Secrets Block) into a new KeyLog.
 * Problems are concatenated; a conflicting secret for the same client random and label keeps the earlier log's value
 * and adds a `KEYLOG_CONFLICT` warning.
 */
export function mergeKeyLogs(...logs: KeyLog[]): KeyLog {
  const out = emptyKeyLog();
  for (const log of logs) mergeKeyLogInto(out, log);
  return out;
}

/**
 * Merge `src` into `target` in place. Sessions created with `target` see the new secrets from their next record on,
 * so a driver can add Decryption Secrets Blocks as the capture reader meets them.
 */
export function mergeKeyLogInto(target: KeyLog, src: KeyLog): void {
  const t = target as { secrets: Map<string, TlsSecrets>; problems: Problem[]; entries: number };
  t.problems.push(...src.problems);
  for (const [random, secrets] of src.secrets) {
    for (const field of Object.keys(secrets) as SecretField[]) {
      const v = secrets[field];
      if (v === undefined) continue;
      const r = addSecret(t, random, field, v);
      if (r === 'new') t.entries++;
      else if (r === 'conflict')
        t.problems.push({
          code: 'KEYLOG_CONFLICT',
          message: `${field} for client random ${random.slice(0, 16)}… differs between key logs; keeping the first`,
          file: 'keylog',
          severity: 'warning',
        });
    }
  }
}

/** Key log from pcapng Decryption Secrets Blocks (`RecordSource.secrets`), each named `<file>#dsb<i>` in problems. */
export function keyLogFromSecretsBlocks(blocks: readonly string[], file = 'capture'): KeyLog {
  return mergeKeyLogs(...blocks.map((text, i) => parseKeyLog(text, `${file}#dsb${i}`)));
}
