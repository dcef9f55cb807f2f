// Every lab scenario, in the order `lab list` and `demo` show them.
import type { Scenario } from '../scenario.ts';
import { BROWSER_SCENARIOS } from './browser.ts';
import { BROWSER_FOREIGN_SCENARIOS } from './browser-foreign.ts';
import { BROWSER_HIDDEN_SCENARIOS } from './browser-hidden.ts';
import { closedByServer } from './closed-by-server.ts';
import { connectFailure } from './connect-failure.ts';
import { delayed } from './delayed.ts';
import { desktopAsleep } from './desktop-asleep.ts';
import { desktopStalled } from './desktop-stalled.ts';
import { desktopThrottled } from './desktop-throttled.ts';
import { healthy } from './healthy.ts';
import { inboundLoss } from './inbound-loss.ts';
import { NETNS_SCENARIOS } from './netns-faults.ts';
import { outboundLoss } from './outbound-loss.ts';
import { resetByMiddlebox } from './reset-by-middlebox.ts';
import { resetByServer } from './reset-by-server.ts';
import { serverStalled } from './server-stalled.ts';
import { sessionEnd } from './session-end.ts';

export const SCENARIOS: readonly Scenario[] = [
  healthy,
  desktopThrottled,
  desktopAsleep,
  desktopStalled,
  inboundLoss,
  outboundLoss,
  delayed,
  resetByMiddlebox,
  resetByServer,
  closedByServer,
  sessionEnd,
  connectFailure,
  serverStalled,
  ...NETNS_SCENARIOS,
  ...BROWSER_SCENARIOS,
  ...BROWSER_HIDDEN_SCENARIOS,
  ...BROWSER_FOREIGN_SCENARIOS,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
