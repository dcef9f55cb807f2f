// The test desktop, in Chromium: Cisco's WebSocketManager + ConnectionService (globalThis.CiscoSdk, bundled
// unmodified) driven as the SDK's own cc.js drives them, with the `webex` object stubbed down to what they call.
// Everything the SDK does is recorded in window.deskLog for the test to read.

interface SdkEmitter {
  on(event: string, fn: (arg: unknown) => void): void;
}
interface SdkManager extends SdkEmitter {
  initWebSocket(o: { body: unknown }): Promise<unknown>;
  isSocketClosed: boolean;
  shouldReconnect: boolean;
}
interface SdkGlobal {
  WebSocketManager: new (o: { webex: unknown }) => SdkManager;
  ConnectionService: new (o: { webSocketManager: SdkManager; subscribeRequest: unknown }) => SdkEmitter;
}
export interface DeskEvent {
  t: number;
  kind: 'subscribe' | 'subscribe-failed' | 'welcome' | 'message' | 'connectionLost' | 'socketClose' | 'error';
  data?: unknown;
}
export interface DeskOptions {
  name: string;
  /** lifeline serve's base URL (another origin than this page). */
  base: string;
  token: string;
  subscribeBody: Record<string, unknown>;
}

const w = globalThis as unknown as {
  CiscoSdk: SdkGlobal;
  deskLog: Record<string, DeskEvent[]>;
  desks: Record<string, SdkManager>;
  startDesk(o: DeskOptions): Promise<unknown>;
};
w.deskLog = {};
w.desks = {};

w.startDesk = (o: DeskOptions) => {
  const log: DeskEvent[] = (w.deskLog[o.name] = []);
  const note = (kind: DeskEvent['kind'], data?: unknown) => log.push({ t: Date.now(), kind, data });
  let n = 0;
  const webex = {
    credentials: { getOrgId: () => 'org-lifeline-test' },
    // true makes the SDK add X-ORGANIZATION-ID, one more header the CORS preflight must allow.
    internal: { services: { isIntegrationEnvironment: () => true } },
    // The subscribe POST, as Webex's request plugin would make it: a real cross-origin fetch with the bearer token.
    async request(r: { resource: string; method: string; body: unknown; headers?: Record<string, string> }) {
      note('subscribe', r.body);
      const res = await fetch(`${o.base}/${r.resource}`, {
        method: r.method,
        headers: {
          authorization: `Bearer ${o.token}`,
          'content-type': 'application/json',
          trackingid: `lifeline-test_${o.name}_${++n}`,
          ...r.headers,
        },
        body: JSON.stringify(r.body),
      }).catch((err: Error) => {
        note('subscribe-failed', String(err));
        throw err;
      });
      const body = await res.json();
      if (!res.ok) {
        note('subscribe-failed', { status: res.status, body });
        throw new Error(`subscribe ${res.status}`);
      }
      return { statusCode: res.status, body };
    },
  };
  const wsm = new w.CiscoSdk.WebSocketManager({ webex });
  const cs = new w.CiscoSdk.ConnectionService({ webSocketManager: wsm, subscribeRequest: o.subscribeBody });
  w.desks[o.name] = wsm;
  wsm.on('message', (raw) => note('message', JSON.parse(String(raw))));
  wsm.on('socketClose', () => note('socketClose'));
  cs.on('connectionLost', (e) => note('connectionLost', e));
  return wsm.initWebSocket({ body: o.subscribeBody }).then(
    (welcome) => {
      note('welcome', welcome);
      return welcome;
    },
    (err: unknown) => {
      note('error', String(err));
      throw err;
    },
  );
};
