// The browser keepalive timer in a dedicated Web Worker: Chrome throttles main-thread timers in hidden tabs (1/s,
// then 1/min) but not dedicated-worker timers (Cisco's SDK does the same). The worker is created from a Blob, so
// no second script URL is needed; it only sleeps and says "fired", all logic stays on the main thread.
import type { TickSource } from './socket-adapter.ts';

const WORKER_SOURCE = `
let handle;
self.onmessage = (e) => {
  const m = e.data;
  if (m && m.cmd === 'arm') {
    clearTimeout(handle);
    handle = setTimeout(() => self.postMessage({ fired: m.id }), m.delay);
  } else if (m && m.cmd === 'cancel') {
    clearTimeout(handle);
  }
};
`;

export class WorkerTickSource implements TickSource {
  readonly kind = 'worker' as const;
  onfire: (() => void) | null = null;
  private readonly worker: Worker;
  private readonly blobUrl: string;
  private id = 0;

  constructor() {
    this.blobUrl = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    this.worker = new Worker(this.blobUrl);
    this.worker.onmessage = (e: MessageEvent<{ fired: number }>) => {
      // Ignore a firing of an arm that was replaced meanwhile.
      if (e.data?.fired === this.id) this.onfire?.();
    };
  }

  arm(delayMs: number): void {
    this.worker.postMessage({ cmd: 'arm', id: ++this.id, delay: Math.max(0, delayMs) });
  }

  cancel(): void {
    this.id++;
    this.worker.postMessage({ cmd: 'cancel' });
  }

  dispose(): void {
    this.worker.terminate();
    URL.revokeObjectURL(this.blobUrl);
    this.onfire = null;
  }
}
