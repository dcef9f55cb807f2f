// The servers under test: how to start each one in its own process, and which desktop protocol talks to it.
import { resolve } from 'node:path';
import type { TargetKind } from './ipc.ts';

export type TargetName = 'lifeline' | 'socketio' | 'ws-baseline';
export const TARGET_NAMES: readonly TargetName[] = ['lifeline', 'socketio', 'ws-baseline'];

export interface Timing {
  keepaliveMs: number;
  silenceMs: number;
}

export interface Target {
  name: TargetName;
  label: string;
  kind: TargetKind;
  /** bearer token for desktop i (`{i}`): one agent per desktop, so no multi-login kicks */
  tokenTemplate: string;
  argv(timing: Timing): string[];
  env?: NodeJS.ProcessEnv;
}

const root = resolve(import.meta.dirname, '../..');
const here = import.meta.dirname;
const tsx = [process.execPath, '--import', 'tsx'];

export function target(name: TargetName): Target {
  switch (name) {
    case 'socketio':
      return {
        name,
        label: 'Socket.IO 4.8',
        kind: 'socketio',
        tokenTemplate: '',
        argv: (t) => [
          ...tsx,
          resolve(here, 'socketio-server.ts'),
          '--ping-interval',
          String(t.keepaliveMs),
          '--ping-timeout',
          String(t.silenceMs - t.keepaliveMs),
        ],
      };
    case 'ws-baseline':
      return {
        name,
        label: 'raw ws baseline',
        kind: 'wxcc',
        tokenTemplate: 'bench-agent-{i}',
        argv: (t) => [
          ...tsx,
          resolve(here, 'ws-baseline-server.ts'),
          '--keepalive',
          String(t.keepaliveMs),
          '--silence',
          String(t.silenceMs),
        ],
      };
    case 'lifeline':
      return {
        name,
        label: 'Lifeline serve',
        kind: 'wxcc',
        tokenTemplate: 'bench-agent-{i}',
        // LIFELINE_BENCH_SERVER overrides the command (a JSON array; {keepalive} and {silence} are substituted),
        // e.g. to benchmark another build of the server.
        argv: (t) =>
          overrideArgv(t) ?? [
            process.execPath,
            resolve(root, 'bin/lifeline.js'),
            'serve',
            '--port',
            '0',
            '--keepalive-ms',
            String(t.keepaliveMs),
            '--silence-ms',
            String(t.silenceMs),
            '--dev',
          ],
      };
  }
}

function overrideArgv(t: Timing): string[] | undefined {
  const raw = process.env.LIFELINE_BENCH_SERVER;
  if (!raw) return undefined;
  const argv = JSON.parse(raw) as unknown;
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
    throw new Error('LIFELINE_BENCH_SERVER must be a JSON array of strings');
  }
  return argv.map((a) =>
    a.replaceAll('{keepalive}', String(t.keepaliveMs)).replaceAll('{silence}', String(t.silenceMs)),
  );
}

export { root as repoRoot };
