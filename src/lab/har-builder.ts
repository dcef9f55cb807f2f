// A Chrome-style HAR of the page's WebSockets, built from CDP Network.webSocket* events the way DevTools exports
// one: an entry per socket with `_resourceType: "websocket"` and `_webSocketMessages` [{type, time, opcode, data}]
// (time in epoch seconds). CDP timestamps are monotonic seconds; the handshake's `wallTime` gives the offset.
// Control frames are absent, as in DevTools' own HAR.

interface Entry {
  url: string;
  startedWall?: number;
  startedMono?: number;
  closedMono?: number;
  requestHeaders: Record<string, string>;
  status?: number;
  statusText?: string;
  responseHeaders: Record<string, string>;
  messages: { type: 'send' | 'receive' | 'error'; mono: number; opcode: number; data: string }[];
}

/** Largest number of messages kept per socket (bounded memory on long runs). */
const MAX_MESSAGES = 200_000;

export class HarBuilder {
  private readonly entries = new Map<string, Entry>();
  /** wall − monotonic, seconds. */
  private offset: number | undefined;

  created(id: string, url: string): void {
    this.entries.set(id, { url, requestHeaders: {}, responseHeaders: {}, messages: [] });
  }

  handshakeRequest(e: {
    requestId: string;
    timestamp: number;
    wallTime: number;
    request: { headers: Record<string, string> };
  }): void {
    const en = this.entries.get(e.requestId);
    this.offset ??= e.wallTime - e.timestamp;
    if (!en) return;
    en.startedWall = e.wallTime;
    en.startedMono = e.timestamp;
    en.requestHeaders = e.request.headers ?? {};
  }

  handshakeResponse(e: {
    requestId: string;
    response: { status: number; statusText: string; headers: Record<string, string> };
  }): void {
    const en = this.entries.get(e.requestId);
    if (!en) return;
    en.status = e.response.status;
    en.statusText = e.response.statusText;
    en.responseHeaders = e.response.headers ?? {};
  }

  frame(id: string, type: 'send' | 'receive' | 'error', mono: number, opcode: number, data: string): void {
    const en = this.entries.get(id);
    if (!en || en.messages.length >= MAX_MESSAGES) return;
    en.messages.push({ type, mono, opcode, data });
  }

  closed(id: string, mono: number): void {
    const en = this.entries.get(id);
    if (en) en.closedMono = mono;
  }

  toHar(): unknown {
    const off = this.offset ?? Date.now() / 1000 - performance.now() / 1000;
    const headers = (h: Record<string, string>) => Object.entries(h).map(([name, value]) => ({ name, value }));
    const entries = [...this.entries.values()].map((en) => {
      const startMono = en.startedMono ?? en.messages[0]?.mono ?? 0;
      const startWall = en.startedWall ?? startMono + off;
      const endMono = en.closedMono ?? en.messages.at(-1)?.mono ?? startMono;
      return {
        startedDateTime: new Date(startWall * 1000).toISOString(),
        time: Math.max(0, (endMono - startMono) * 1000),
        request: {
          method: 'GET',
          url: en.url,
          httpVersion: 'HTTP/1.1',
          headers: headers(en.requestHeaders),
          queryString: [],
          cookies: [],
          headersSize: -1,
          bodySize: 0,
        },
        response: {
          status: en.status ?? 0,
          statusText: en.statusText ?? '',
          httpVersion: 'HTTP/1.1',
          headers: headers(en.responseHeaders),
          cookies: [],
          content: { size: 0, mimeType: 'x-unknown' },
          redirectURL: '',
          headersSize: -1,
          bodySize: 0,
        },
        cache: {},
        timings: { blocked: -1, dns: -1, connect: -1, send: 0, wait: 0, receive: 0, ssl: -1 },
        _resourceType: 'websocket',
        _webSocketMessages: en.messages.map((m) => ({
          type: m.type,
          time: m.mono + off,
          opcode: m.opcode,
          data: m.data,
        })),
      };
    });
    return {
      log: {
        version: '1.2',
        creator: { name: 'lifeline-lab', version: '0.1.0' },
        pages: [],
        entries,
      },
    };
  }
}
