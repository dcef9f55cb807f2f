// Cisco's Contact Center SDK (@webex/contact-center, Cisco's own terms: never committed here) fetched at test time
// with `npm pack` into a cache outside the repository, and its socket classes bundled unmodified for the browser.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const SDK_SPEC = '@webex/contact-center@3.12.0';
export const SDK_DIR = join(tmpdir(), 'lifeline-webex-sdk-3.12.0');
const SOCKET_DIR = join(SDK_DIR, 'package', 'dist', 'services', 'core', 'websocket');
const FILES = ['WebSocketManager.js', 'connection-service.js', 'keepalive.worker.js'];
const here = dirname(fileURLToPath(import.meta.url));

/** The SDK's socket directory, fetched once into SDK_DIR; throws naming the npm command when it cannot. */
export function fetchSdk(): string {
  if (FILES.every((f) => existsSync(join(SOCKET_DIR, f)))) return SOCKET_DIR;
  const cmd = `npm pack ${SDK_SPEC} --pack-destination ${SDK_DIR} && tar xzf ${SDK_DIR}/webex-contact-center-3.12.0.tgz -C ${SDK_DIR}`;
  try {
    mkdirSync(SDK_DIR, { recursive: true });
    if (!readdirSync(SDK_DIR).some((f) => f.endsWith('.tgz'))) {
      execFileSync('npm', ['pack', SDK_SPEC, '--silent', '--pack-destination', SDK_DIR], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 120000,
      });
    }
    const tgz = readdirSync(SDK_DIR).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack wrote no .tgz');
    execFileSync('tar', ['xzf', join(SDK_DIR, tgz), '-C', SDK_DIR], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    // A half-written download must not poison the cache for the next run.
    for (const f of existsSync(SDK_DIR) ? readdirSync(SDK_DIR) : []) if (f.endsWith('.tgz')) rmSync(join(SDK_DIR, f));
    throw new Error(`cannot fetch Cisco's SDK (${(err as Error).message.split('\n')[0]}); run: ${cmd}`);
  }
  const missing = FILES.filter((f) => !existsSync(join(SOCKET_DIR, f)));
  if (missing.length) throw new Error(`${SDK_SPEC} has no ${missing.join(', ')} under ${SOCKET_DIR}; run: ${cmd}`);
  return SOCKET_DIR;
}

/**
 * Browser scripts: `sdk` puts Cisco's WebSocketManager and ConnectionService, unmodified, on globalThis.CiscoSdk
 * (their only non-relative require, "events", resolved to our shim); `page` is the test desktop driving them.
 */
export async function bundleScripts(): Promise<{ sdk: string; page: string }> {
  const dir = fetchSdk();
  const eventsShim = join(here, 'events-shim.ts');
  const sdk = await build({
    stdin: {
      contents: [
        `export { WebSocketManager } from ${JSON.stringify(join(dir, 'WebSocketManager.js'))};`,
        `export { ConnectionService } from ${JSON.stringify(join(dir, 'connection-service.js'))};`,
      ].join('\n'),
      resolveDir: dir,
    },
    bundle: true,
    format: 'iife',
    globalName: 'CiscoSdk',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'events-shim',
        setup(b) {
          b.onResolve({ filter: /^events$/ }, () => ({ path: eventsShim }));
        },
      },
    ],
  });
  const page = await build({
    entryPoints: [join(here, 'page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return { sdk: sdk.outputFiles[0].text, page: page.outputFiles[0].text };
}
