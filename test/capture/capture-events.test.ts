// Lean capture reading (diagnose's): the same events with the same fields and values as the full reading, in the
// same order, only without message text.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { captureToEvents } from '../../src/capture/capture-events.ts';

const LAB = new URL('../fixtures/diagnose/lab/', import.meta.url);
const files = [
  fileURLToPath(new URL('../fixtures/capture/lo-echo.pcapng', import.meta.url)),
  ...readdirSync(LAB)
    .sort()
    .map((name) => fileURLToPath(new URL(`${name}/capture.pcap`, LAB))),
];

test('lean reading: every event as the full reading has it, minus message text', async () => {
  let withText = 0;
  let events = 0;
  for (const file of files) {
    const full = await captureToEvents(file);
    const lean = await captureToEvents(file, { lean: true });
    const expected = full.events.map((e) => {
      if (e.kind !== 'ws-message' || e.text === undefined) return e;
      withText++;
      const { text: _, ...rest } = e;
      return rest;
    });
    assert.deepEqual(lean.events, expected, file);
    assert.deepEqual(lean.meta, full.meta, file);
    assert.deepEqual(lean.problems, full.problems, file);
    events += lean.events.length;
  }
  assert.ok(withText > 100 && events > 1000, `${withText} messages had text, ${events} events compared`);
});
