// Test-local harness for the TLS integration tests: a self-signed certificate made with the openssl CLI, a TCP relay
// on 127.0.0.1 that records the bytes of both directions in arrival order, and a record splitter. Real sockets, real
// TLS stacks (Node/OpenSSL); nothing here decrypts.

import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import type { Direction } from '../../../src/capture/tls/tls-session.ts';

/** Fail (never skip) when a system tool is missing, naming the Debian package. */
export function requireTool(cmd: string, args: string[], debPackage: string): void {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (r.error)
    throw new Error(
      `${cmd} is required for this test but was not found: install the Debian package '${debPackage}' (apt-get install ${debPackage})`,
    );
}

export interface Cert {
  key: Buffer;
  cert: Buffer;
  dir: string;
  cleanup(): void;
}

export interface CertOptions {
  /** Subject common name (default localhost). */
  cn?: string;
  /** An IP subjectAltName, e.g. 127.0.0.1 (default none). */
  ipAltName?: string;
  /** Validity (default 2). */
  days?: number;
}

/** RSA self-signed certificate (RSA so both ECDHE-RSA TLS 1.2 suites and TLS 1.3 work). */
export function makeCert(opts: CertOptions = {}): Cert {
  requireTool('openssl', ['version'], 'openssl');
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-tls-'));
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      String(opts.days ?? 2),
      '-subj',
      `/CN=${opts.cn ?? 'localhost'}`,
      ...(opts.ipAltName ? ['-addext', `subjectAltName=IP:${opts.ipAltName}`] : []),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return {
    key: readFileSync(join(dir, 'key.pem')),
    cert: readFileSync(join(dir, 'cert.pem')),
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Chunk {
  dir: Direction;
  data: Buffer;
}

export interface Relay {
  port: number;
  /** Every chunk the relay forwarded, in the order it arrived. */
  chunks: Chunk[];
  /** Resolves when both legs of the first connection have closed. */
  closed: Promise<void>;
  close(): void;
  /** Called after each chunk is recorded (tests wait on it instead of sleeping). */
  onChunk: (c: Chunk) => void;
}

/** A TCP relay 127.0.0.1:<port> → 127.0.0.1:<target> for one connection, teeing both directions. */
export function startRelay(target: number): Promise<Relay> {
  const chunks: Chunk[] = [];
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const relay = { onChunk: (_c: Chunk) => {} };
  const record = (c: Chunk) => {
    chunks.push(c);
    relay.onChunk(c);
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    let open = 2;
    const done = () => {
      if (--open === 0) resolveClosed();
    };
    client.on('data', (d) => {
      record({ dir: 'c2s', data: Buffer.from(d) });
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      record({ dir: 's2c', data: Buffer.from(d) });
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', done);
    upstream.on('close', done);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve(
        Object.assign(relay, {
          port,
          chunks,
          closed,
          close: () => server.close(),
        }),
      );
    });
  });
}

export interface Record {
  dir: Direction;
  type: number;
  version: number;
  body: Uint8Array;
}

/** Splits each direction's byte stream into TLS records, keeping the cross-direction arrival order. */
export function splitRecords(chunks: Chunk[]): Record[] {
  const pending: { [d in Direction]: Buffer } = { c2s: Buffer.alloc(0), s2c: Buffer.alloc(0) };
  const out: Record[] = [];
  for (const c of chunks) {
    let buf = Buffer.concat([pending[c.dir], c.data]);
    while (buf.length >= 5) {
      const len = buf.readUInt16BE(3);
      if (buf.length < 5 + len) break;
      out.push({
        dir: c.dir,
        type: buf[0],
        version: buf.readUInt16BE(1),
        body: Uint8Array.from(buf.subarray(5, 5 + len)),
      });
      buf = buf.subarray(5 + len);
    }
    pending[c.dir] = buf;
  }
  return out;
}

/** Reject after `ms` with a message naming what was awaited. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/**
 * Drives a TLS client just made by tls.connect(): records its key-log lines into `keylog`, waits for the handshake,
 * sends `msgs`, and waits until `serverBytes` bytes have come back (each wait bounded). Call it in the tick that
 * made the socket, so no key-log line or data is missed.
 */
export async function clientExchange(
  c: tls.TLSSocket,
  msgs: readonly Uint8Array[],
  serverBytes: number,
  keylog: string[],
): Promise<void> {
  c.on('keylog', (line) => keylog.push(line.toString('latin1')));
  const received = new Promise<void>((resolve, reject) => {
    let got = 0;
    c.on('data', (d) => {
      got += d.length;
      if (got === serverBytes) resolve();
    });
    c.on('error', reject);
  });
  await within(once(c, 'secureConnect'), 5000, 'TLS handshake');
  for (const m of msgs) c.write(m);
  await within(received, 10000, 'all server messages at the client');
}
