// DesktopClient for Node: the isomorphic client core with `ws` as the socket and Node's event loop as the timer.
// Library API (docs/server.md): new DesktopClient(opts).start(); events via on('state' | 'notification' | …).
import { WebSocket } from 'ws';
import { DesktopClientCore, type DesktopClientOptions } from './client-core.ts';
import { type SocketLike, TimeoutTickSource } from './socket-adapter.ts';

export type { ClientEvents, DesktopClientOptions } from './client-core.ts';

export class DesktopClient extends DesktopClientCore {
  constructor(opts: DesktopClientOptions) {
    super(opts, {
      runtime: 'node',
      userAgent: `node/${process.versions.node}`,
      timer: new TimeoutTickSource('node'),
      socketFactory: (url) => new WebSocket(url, { perMessageDeflate: false }) as unknown as SocketLike,
    });
  }
}
