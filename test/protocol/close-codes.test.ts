import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLOSE, closeInfo, notifsOnlyCodes, shouldReconnect } from '../../src/protocol/close-codes.ts';

const SRC = join(import.meta.dirname, '..', '..', 'src');

/** The CLOSE.<NAME> constants a set of source files close sockets with. */
function closeNamesUsedIn(files: string[]): Set<keyof typeof CLOSE> {
  const names = new Set<keyof typeof CLOSE>();
  for (const f of files) {
    for (const m of readFileSync(join(SRC, f), 'utf8').matchAll(/\bCLOSE\.([A-Z_]+)/g)) {
      names.add(m[1] as keyof typeof CLOSE);
    }
  }
  return names;
}

test('every code in CLOSE has a table entry saying who may send it', () => {
  for (const [name, code] of Object.entries(CLOSE)) {
    const info = closeInfo(code);
    assert.notEqual(info.name, `code-${code}`, `${name} (${code}) missing from the table`);
    assert.ok(['notifs', 'desktop', 'either', 'local'].includes(info.by), `${name}: by=${info.by}`);
  }
});

test('Notifs closes only with codes Notifs may send', () => {
  const serverFiles = [
    ...readdirSync(join(SRC, 'server')).map((f) => `server/${f}`),
    'protocol/notifs-machine.ts',
    'protocol/codec.ts',
  ].filter((f) => f.endsWith('.ts'));
  const used = closeNamesUsedIn(serverFiles);
  assert.ok(used.size >= 5, `expected the server to use several close codes, saw ${[...used]}`);
  for (const name of used) {
    const by = closeInfo(CLOSE[name]).by;
    assert.ok(by === 'notifs' || by === 'either', `the server closes with ${name}, which only the ${by} may send`);
  }
});

test('the desktop closes only with codes a desktop may send (1006 is only ever reported locally)', () => {
  const used = closeNamesUsedIn(['protocol/desktop-machine.ts', 'desktop/client-core.ts']);
  assert.ok(used.has('SLEEP_DETECTED') && used.has('CONNECT_TIMEOUT'));
  for (const name of used) {
    const by = closeInfo(CLOSE[name]).by;
    assert.ok(by === 'desktop' || by === 'either' || by === 'local', `the desktop uses ${name} (by ${by})`);
  }
});

test('notifsOnlyCodes lists exactly the table rows sent by Notifs alone', () => {
  const only = notifsOnlyCodes();
  assert.ok(only.includes(CLOSE.MULTI_LOGIN) && only.includes(CLOSE.REPLACED));
  assert.ok(!only.includes(CLOSE.SILENCE_TIMEOUT), 'either side sends 4000');
  assert.ok(!only.includes(CLOSE.SLEEP_DETECTED), 'only the desktop sends 4010');
  assert.ok(!only.includes(CLOSE.NORMAL) && !only.includes(CLOSE.GOING_AWAY), 'browsers send 1000/1001 too');
});

test('unknown codes: 44xx are no-retry, other private codes retried', () => {
  assert.equal(shouldReconnect(4499), false);
  assert.equal(shouldReconnect(4100), true);
  assert.equal(closeInfo(4100).by, 'either');
});
