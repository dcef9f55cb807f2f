// The fault lab's stall switch: per agent, hold back every Welcome, keepalive and notification the socket driver
// would send (acks still flow, as before). It wraps the driver's send; the machine only learns that a frame was
// held and rewinds, so nothing is lost: on release the Welcome is prepared afresh and the stream read again.
import type { SendOutput } from '../protocol/notifs-machine.ts';

/** A driver's send: true when the frame went to the socket, false when it was held back. */
export type Sender = (out: SendOutput, done?: (err?: Error) => void) => boolean;

export class StallSwitch {
  private readonly stalled = new Set<string>();

  set(agentId: string, on: boolean): void {
    if (on) this.stalled.add(agentId);
    else this.stalled.delete(agentId);
  }

  has(agentId: string): boolean {
    return this.stalled.has(agentId);
  }

  wrap(agentId: string, send: Sender): Sender {
    return (out, done) => {
      if (out.cls !== 'resume' && this.stalled.has(agentId)) return false;
      return send(out, done);
    };
  }
}
