// Server counters and their Prometheus text exposition (version 0.0.4).

export interface MetricsSnapshot {
  connections: number;
  connectionsOpened: number;
  keepalivesReceived: number;
  keepalivesSent: number;
  recoveries: number;
  recoveriesIncomplete: number;
  replayed: number;
  backlogSize: number;
  /** 1 while the store answers (always for memory), 0 while a shared store is unreachable. */
  storeUp: number;
  published: number;
  silenceDrops: number;
  slowDrops: number;
  protocolErrors: number;
  desktopMessages: number;
  subscribeOk: number;
  subscribeRejected: number;
}

export function newCounters(): Omit<MetricsSnapshot, 'connections' | 'backlogSize' | 'storeUp'> {
  return {
    connectionsOpened: 0,
    keepalivesReceived: 0,
    keepalivesSent: 0,
    recoveries: 0,
    recoveriesIncomplete: 0,
    replayed: 0,
    published: 0,
    silenceDrops: 0,
    slowDrops: 0,
    protocolErrors: 0,
    desktopMessages: 0,
    subscribeOk: 0,
    subscribeRejected: 0,
  };
}

const metric = (name: string, type: 'gauge' | 'counter', help: string, lines: string[]) =>
  `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`;

export function toPrometheus(m: MetricsSnapshot): string {
  return [
    metric('lifeline_connections', 'gauge', 'Open desktop sockets.', [`lifeline_connections ${m.connections}`]),
    metric('lifeline_connections_opened_total', 'counter', 'Desktop sockets accepted.', [
      `lifeline_connections_opened_total ${m.connectionsOpened}`,
    ]),
    metric('lifeline_keepalives_total', 'counter', 'Keepalives by direction (in = from desktops).', [
      `lifeline_keepalives_total{direction="in"} ${m.keepalivesReceived}`,
      `lifeline_keepalives_total{direction="out"} ${m.keepalivesSent}`,
    ]),
    metric('lifeline_recoveries_total', 'counter', 'Resumes by outcome (complete = no loss).', [
      `lifeline_recoveries_total{result="complete"} ${m.recoveries - m.recoveriesIncomplete}`,
      `lifeline_recoveries_total{result="incomplete"} ${m.recoveriesIncomplete}`,
    ]),
    metric('lifeline_replayed_total', 'counter', 'Notifications replayed to resuming desktops.', [
      `lifeline_replayed_total ${m.replayed}`,
    ]),
    metric('lifeline_store_up', 'gauge', 'Whether the store (Redis) is reachable from this node.', [
      `lifeline_store_up ${m.storeUp}`,
    ]),
    metric('lifeline_backlog_entries', 'gauge', 'Notifications retained for replay, all agents.', [
      `lifeline_backlog_entries ${m.backlogSize}`,
    ]),
    metric('lifeline_published_total', 'counter', 'Notifications published.', [
      `lifeline_published_total ${m.published}`,
    ]),
    metric('lifeline_silence_drops_total', 'counter', 'Desktops dropped after the silence timeout.', [
      `lifeline_silence_drops_total ${m.silenceDrops}`,
    ]),
    metric(
      'lifeline_slow_consumer_drops_total',
      'counter',
      'Desktops dropped for not draining their socket or falling behind the retained backlog.',
      [`lifeline_slow_consumer_drops_total ${m.slowDrops}`],
    ),
    metric('lifeline_protocol_errors_total', 'counter', 'Sockets closed for bad input.', [
      `lifeline_protocol_errors_total ${m.protocolErrors}`,
    ]),
    metric('lifeline_desktop_messages_total', 'counter', 'Desktop messages delivered (first delivery only).', [
      `lifeline_desktop_messages_total ${m.desktopMessages}`,
    ]),
    metric('lifeline_subscribe_total', 'counter', 'Subscribe requests by result.', [
      `lifeline_subscribe_total{result="ok"} ${m.subscribeOk}`,
      `lifeline_subscribe_total{result="rejected"} ${m.subscribeRejected}`,
    ]),
  ].join('');
}
