// A forked benchmark worker spoken to over IPC, one request at a time: send a message, wait (bounded) for the one
// answer. Shared by the connection and Redis-storm load generators. An answer of type 'error' rejects with its text.
import type { ChildProcess } from 'node:child_process';

interface Msg {
  type: string;
}

export class IpcChild<To extends Msg, From extends Msg> {
  private waiting: ((m: From) => void) | undefined;

  constructor(readonly child: ChildProcess) {
    child.on('message', (m) => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.(m as From);
    });
  }

  /** Resolves with the answer; rejects on timeout, on the child's exit, on an 'error' answer or an unexpected type. */
  request<T extends From['type']>(
    msg: To,
    expect: T | undefined,
    timeoutMs: number,
  ): Promise<Extract<From, { type: T }>> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`load generator did not answer '${msg.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = () => {
        clearTimeout(timer);
        reject(new Error(`load generator exited during '${msg.type}'`));
      };
      this.child.once('exit', onExit);
      this.waiting = (m) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        if (m.type === 'error') reject(new Error(`load generator: ${(m as Msg & { message?: string }).message}`));
        else if (expect !== undefined && m.type !== expect)
          reject(new Error(`load generator answered ${m.type} to ${msg.type}`));
        else resolvePromise(m as Extract<From, { type: T }>);
      };
      this.child.send(msg);
    });
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
