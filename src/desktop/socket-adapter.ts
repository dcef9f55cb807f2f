// The few WebSocket and timer capabilities the desktop client needs, so one client runs in Node (ws, setTimeout)
// and in the browser (global WebSocket, a Web Worker timer). Both ws and the browser implement this socket shape.

export interface SocketLike {
  readonly readyState: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

/** A one-shot re-armable timer. `kind` says where it runs (recorded in the error report). */
export interface TickSource {
  readonly kind: 'worker' | 'main' | 'node';
  /** Fire `onfire` once after delayMs; re-arming replaces the previous arm. */
  arm(delayMs: number): void;
  cancel(): void;
  onfire: (() => void) | null;
  dispose(): void;
}

/** setTimeout-based timer: Node's event loop, or the browser main thread (throttled in hidden tabs). */
export class TimeoutTickSource implements TickSource {
  onfire: (() => void) | null = null;
  private h: ReturnType<typeof setTimeout> | undefined;
  constructor(readonly kind: 'main' | 'node') {}
  arm(delayMs: number): void {
    if (this.h !== undefined) clearTimeout(this.h);
    this.h = setTimeout(
      () => {
        this.h = undefined;
        this.onfire?.();
      },
      Math.max(0, delayMs),
    );
  }
  cancel(): void {
    if (this.h !== undefined) clearTimeout(this.h);
    this.h = undefined;
  }
  dispose(): void {
    this.cancel();
    this.onfire = null;
  }
}

export const WS_OPEN = 1;
