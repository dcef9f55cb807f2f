// CLI commands of src/lab: `lab proxy`, `lab list`, `lab run NAME`, and the top-level `demo`.
import type { Command } from 'commander';
import { EXIT, LifelineError } from '../cli/exit-codes.ts';
import { FaultProxy } from './fault-proxy.ts';
import { startProxyApi } from './proxy-http-api.ts';

/** Parses `host:port` (host defaults to 127.0.0.1). */
export function parseEndpoint(value: string, what: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) {
    throw new LifelineError('LAB_BAD_ENDPOINT', `${what} must be host:port or port, got "${value}"`, EXIT.USAGE);
  }
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

export function registerLabCommands(program: Command): void {
  const lab = program
    .command('lab')
    .description('The fault lab: break the desktop ⇄ Notifs connection on purpose and check the verdicts.');

  lab
    .command('proxy')
    .description('Run the TCP fault proxy (desktop ⇄ proxy ⇄ Notifs) with an HTTP API to add and remove faults.')
    .requiredOption('--listen <host:port>', 'where desktops connect')
    .requiredOption('--upstream <host:port>', 'the Notifs server')
    .option('--api <host:port>', 'where the HTTP JSON API listens', '127.0.0.1:8474')
    .addHelpText(
      'after',
      `
Faults ("toxics") apply per direction: stream "upstream" = desktop → Notifs, "downstream" = Notifs → desktop.
Types: latency {latencyMs, jitterMs}, bandwidth {rateKBps}, stall (hold; release on delete), blackhole,
reset {afterMs, side: desktop|server|both}, limit {bytes}, timeout {afterMs}, slicer {sizeBytes, delayMs}, refuse.

Examples:
  lifeline lab proxy --listen 127.0.0.1:9100 --upstream 127.0.0.1:8080 --api 127.0.0.1:8474
  curl -X POST localhost:8474/toxics -d '{"name":"bh","type":"blackhole","stream":"downstream"}'
  curl localhost:8474/toxics
  curl -X DELETE localhost:8474/toxics/bh
  curl -X POST localhost:8474/toxics -d '{"type":"stall","stream":"downstream"}'   # later DELETE = "delayed"
  curl -X POST localhost:8474/toxics -d '{"type":"reset","attributes":{"afterMs":0,"side":"both"}}'
See docs/lab.md.`,
    )
    .action(async (o: { listen: string; upstream: string; api: string }) => {
      const proxy = new FaultProxy({
        listen: parseEndpoint(o.listen, '--listen'),
        upstream: parseEndpoint(o.upstream, '--upstream'),
      });
      let listen: { host: string; port: number };
      try {
        listen = await proxy.start();
      } catch (err) {
        throw new LifelineError(
          'LAB_LISTEN_FAILED',
          `cannot listen on ${o.listen}: ${(err as Error).message}`,
          EXIT.USAGE,
        );
      }
      const apiAt = parseEndpoint(o.api, '--api');
      const api = await startProxyApi(proxy, apiAt).catch(async (err: Error) => {
        await proxy.close();
        throw new LifelineError('LAB_LISTEN_FAILED', `cannot listen on ${o.api}: ${err.message}`, EXIT.USAGE);
      });
      process.stderr.write(
        `lab proxy: ${listen.host}:${listen.port} → ${o.upstream}; API http://${apiAt.host}:${api.port}/toxics (Ctrl-C stops)\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await api.close();
      await proxy.close();
    });
}
