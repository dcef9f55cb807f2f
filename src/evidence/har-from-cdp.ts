// Records a Chrome-style HAR of a page's WebSockets — and of its plain HTTP requests (the subscribe call, failed or
// not, like DevTools' own export) — from the browser's own DevTools protocol events, the same events DevTools'
// "Save all as HAR" is built from. Used by tests and the fault lab to produce real HAR evidence.
//   Network.requestWillBeSent / responseReceived / loadingFailed (HTTP);
//   Network.webSocketCreated / webSocketWillSendHandshakeRequest (timestamp + wallTime) /
//   webSocketHandshakeResponseReceived / webSocketFrameSent / webSocketFrameReceived / webSocketFrameError /
//   webSocketClosed.
// CDP `timestamp` is monotonic seconds; `wallTime` (epoch seconds) comes once, with the handshake request: frame
// wall times are wallTime + (timestamp − handshake timestamp), as DevTools does.

// biome-ignore lint/suspicious/noExplicitAny: CDP event payloads are typed by the caller's protocol version
type CdpParams = any;

/** The slice of a CDP session (playwright-core CDPSession) this needs. */
export interface CdpSessionLike {
  send(method: 'Network.enable', params?: Record<string, unknown>): Promise<unknown>;
  on(event: string, listener: (params: CdpParams) => void): unknown;
}

/** The slice of a playwright-core Page this needs. */
export interface PageLike {
  context(): { newCDPSession(page: unknown): Promise<CdpSessionLike> };
}

interface HarWsMessage {
  type: 'send' | 'receive' | 'error';
  time: number;
  opcode: number;
  data: string;
}

interface Socket {
  requestId: string;
  url: string;
  createdAt: number; // monotonic s
  reqTs?: number;
  wallOffset?: number; // wall − monotonic, seconds
  requestHeaders: { name: string; value: string }[];
  respTs?: number;
  status?: number;
  statusText?: string;
  responseHeaders: { name: string; value: string }[];
  messages: HarWsMessage[];
  closedAt?: number;
}

interface HttpRequest {
  requestId: string;
  url: string;
  method: string;
  type: string;
  startWall: number; // epoch s
  startTs: number; // monotonic s
  requestHeaders: { name: string; value: string }[];
  status?: number;
  statusText?: string;
  respTs?: number;
  error?: string;
}

function headerList(h: unknown): { name: string; value: string }[] {
  if (!h || typeof h !== 'object') return [];
  return Object.entries(h as Record<string, unknown>).map(([name, value]) => ({ name, value: String(value) }));
}

export class HarRecorder {
  private readonly sockets = new Map<string, Socket>();
  private readonly order: string[] = [];
  private readonly requests = new Map<string, HttpRequest>();
  /** A wall offset learned from any handshake, for sockets whose own handshake was missed. */
  private anyOffset: number | undefined;

  /** Subscribe to the page's Network domain. Call before the page opens its sockets. */
  async attach(page: PageLike): Promise<void> {
    const cdp = await page.context().newCDPSession(page);
    this.listen(cdp);
    await cdp.send('Network.enable');
  }

  /** Wire the listeners onto an existing CDP session (for callers that manage sessions themselves). */
  listen(cdp: CdpSessionLike): void {
    cdp.on('Network.webSocketCreated', (p) => this.created(p));
    cdp.on('Network.webSocketWillSendHandshakeRequest', (p) => this.handshakeRequest(p));
    cdp.on('Network.webSocketHandshakeResponseReceived', (p) => this.handshakeResponse(p));
    cdp.on('Network.webSocketFrameSent', (p) => this.frame(p, 'send'));
    cdp.on('Network.webSocketFrameReceived', (p) => this.frame(p, 'receive'));
    cdp.on('Network.webSocketFrameError', (p) => this.frameError(p));
    cdp.on('Network.webSocketClosed', (p) => this.closed(p));
    cdp.on('Network.requestWillBeSent', (p) => this.request(p));
    cdp.on('Network.responseReceived', (p) => this.response(p));
    cdp.on('Network.loadingFailed', (p) => this.failed(p));
  }

  request(p: {
    requestId: string;
    timestamp: number;
    wallTime: number;
    type?: string;
    request?: { url?: string; method?: string; headers?: unknown };
  }): void {
    this.anyOffset ??= p.wallTime - p.timestamp;
    this.requests.set(p.requestId, {
      requestId: p.requestId,
      url: p.request?.url ?? '',
      method: p.request?.method ?? 'GET',
      type: (p.type ?? 'other').toLowerCase(),
      startWall: p.wallTime,
      startTs: p.timestamp,
      requestHeaders: headerList(p.request?.headers),
    });
  }

  response(p: { requestId: string; timestamp: number; response?: { status?: number; statusText?: string } }): void {
    const r = this.requests.get(p.requestId);
    if (!r) return;
    r.status = p.response?.status;
    r.statusText = p.response?.statusText;
    r.respTs = p.timestamp;
  }

  failed(p: { requestId: string; timestamp: number; errorText?: string; canceled?: boolean }): void {
    const r = this.requests.get(p.requestId);
    if (!r) return;
    r.error = p.errorText || (p.canceled ? 'net::ERR_ABORTED' : 'net::ERR_FAILED');
    r.respTs ??= p.timestamp;
  }

  private httpEntry(r: HttpRequest): Record<string, unknown> {
    const waitMs = r.respTs !== undefined ? Math.max(0, (r.respTs - r.startTs) * 1000) : 0;
    return {
      _resourceType: r.type,
      cache: {},
      connection: r.requestId,
      request: {
        method: r.method,
        url: r.url,
        httpVersion: 'HTTP/1.1',
        headers: r.requestHeaders,
        queryString: [],
        cookies: [],
        headersSize: -1,
        bodySize: 0,
      },
      response: {
        status: r.error ? 0 : (r.status ?? 0),
        statusText: r.statusText ?? '',
        httpVersion: 'HTTP/1.1',
        headers: [],
        cookies: [],
        content: { size: 0, mimeType: 'x-unknown' },
        redirectURL: '',
        headersSize: -1,
        bodySize: 0,
        _error: r.error ?? null,
      },
      serverIPAddress: '',
      startedDateTime: new Date(r.startWall * 1000).toISOString(),
      time: waitMs,
      timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: waitMs, receive: 0 },
    };
  }

  private sock(requestId: string, url = ''): Socket {
    let s = this.sockets.get(requestId);
    if (!s) {
      s = { requestId, url, createdAt: 0, requestHeaders: [], responseHeaders: [], messages: [] };
      this.sockets.set(requestId, s);
      this.order.push(requestId);
    }
    return s;
  }

  created(p: { requestId: string; url: string }): void {
    const s = this.sock(p.requestId, p.url);
    s.url = p.url;
  }

  handshakeRequest(p: {
    requestId: string;
    timestamp: number;
    wallTime: number;
    request?: { headers?: unknown };
  }): void {
    const s = this.sock(p.requestId);
    s.reqTs = p.timestamp;
    s.wallOffset = p.wallTime - p.timestamp;
    this.anyOffset ??= s.wallOffset;
    s.requestHeaders = headerList(p.request?.headers);
  }

  handshakeResponse(p: {
    requestId: string;
    timestamp: number;
    response?: { status?: number; statusText?: string; headers?: unknown };
  }): void {
    const s = this.sock(p.requestId);
    s.respTs = p.timestamp;
    s.status = p.response?.status;
    s.statusText = p.response?.statusText;
    s.responseHeaders = headerList(p.response?.headers);
  }

  frame(
    p: { requestId: string; timestamp: number; response?: { opcode?: number; payloadData?: string } },
    type: 'send' | 'receive',
  ): void {
    const s = this.sock(p.requestId);
    s.messages.push({
      type,
      time: this.wall(s, p.timestamp),
      opcode: p.response?.opcode ?? 1,
      data: p.response?.payloadData ?? '',
    });
  }

  frameError(p: { requestId: string; timestamp: number; errorMessage?: string }): void {
    const s = this.sock(p.requestId);
    s.messages.push({ type: 'error', time: this.wall(s, p.timestamp), opcode: -1, data: p.errorMessage ?? '' });
  }

  closed(p: { requestId: string; timestamp: number }): void {
    this.sock(p.requestId).closedAt = p.timestamp;
  }

  private wall(s: Socket, mono: number): number {
    const off = s.wallOffset ?? this.anyOffset ?? 0;
    return mono + off;
  }

  /** The HAR 1.2 document (Chrome flavour: `_resourceType`, `_webSocketMessages`). */
  toHar(): Record<string, unknown> {
    const sockets = this.order.map((id) => {
      const s = this.sockets.get(id)!;
      const start = s.reqTs ?? s.createdAt;
      const startedMs = this.wall(s, start) * 1000;
      const waitMs = s.respTs !== undefined && s.reqTs !== undefined ? Math.max(0, (s.respTs - s.reqTs) * 1000) : 0;
      const failed = s.status === undefined;
      const errMsg = s.messages.find((m) => m.type === 'error')?.data;
      return {
        _resourceType: 'websocket',
        _initiator: { type: 'script' },
        cache: {},
        connection: id,
        request: {
          method: 'GET',
          url: s.url,
          httpVersion: 'HTTP/1.1',
          headers: s.requestHeaders,
          queryString: [],
          cookies: [],
          headersSize: -1,
          bodySize: 0,
        },
        response: {
          status: s.status ?? 0,
          statusText: s.statusText ?? '',
          httpVersion: 'HTTP/1.1',
          headers: s.responseHeaders,
          cookies: [],
          content: { size: 0, mimeType: 'x-unknown' },
          redirectURL: '',
          headersSize: -1,
          bodySize: 0,
          _error: failed ? (errMsg ?? 'net::ERR_FAILED') : null,
        },
        serverIPAddress: '',
        startedDateTime: new Date(startedMs).toISOString(),
        time: waitMs,
        timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: waitMs, receive: 0 },
        _webSocketMessages: s.messages,
      };
    });
    const http = [...this.requests.values()].map((r) => this.httpEntry(r));
    const entries = [...http, ...sockets].sort((a, b) =>
      String(a.startedDateTime).localeCompare(String(b.startedDateTime)),
    );
    return {
      log: {
        version: '1.2',
        creator: { name: 'lifeline HarRecorder (CDP)', version: '1' },
        pages: [],
        entries,
      },
    };
  }
}
