// Shared by the golden tests and make-fixtures.ts.
import { readdirSync, readFileSync } from 'node:fs';
import type { Diagnosis } from '../../src/diagnose/diagnose.ts';
import type { EvidenceResult } from '../../src/events/types.ts';

export const FIXTURE_DIR = new URL('../fixtures/diagnose/', import.meta.url);
/** The one case whose whole diagnosis is pinned (small: a HAR showing a server close). */
export const FULL_GOLDEN = 'closed-by-server.har';

/** What the golden files pin per incident: who, what, and how it ended (wording may evolve freely). */
export function expectedOf(d: Diagnosis): { domain: string; cause: string; outcome: string }[] {
  return d.incidents.map((i) => ({
    domain: i.domain,
    cause: i.cause,
    outcome:
      i.outcome.status === 'recovered'
        ? `recovered+${Math.round((i.outcome.recoveredAfterMs ?? 0) / 1000)}s`
        : i.outcome.status,
  }));
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.evidence.json'))
    .map((f) => f.slice(0, -'.evidence.json'.length))
    .sort();
}

export function loadFixture(name: string): EvidenceResult[] {
  return JSON.parse(readFileSync(new URL(`${name}.evidence.json`, FIXTURE_DIR), 'utf8')) as EvidenceResult[];
}

export function loadExpected(): Record<string, ReturnType<typeof expectedOf>> {
  return JSON.parse(readFileSync(new URL('expected.json', FIXTURE_DIR), 'utf8'));
}
