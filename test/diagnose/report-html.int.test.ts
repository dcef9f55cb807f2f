// The HTML report in real Chromium: it renders, shades one band per incident, logs no console error (a CSP
// violation would be one), and nothing from captured data runs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../src/browser/chromium.ts';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { renderHtml } from '../../src/diagnose/report-html.ts';
import type { EvidenceResult } from '../../src/events/types.ts';
import { loadFixture } from './fixtures.ts';

let browser: Browser;
let dir: string;

before(async () => {
  browser = await launchChromium();
  dir = mkdtempSync(join(tmpdir(), 'lifeline-html-'));
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function shift(results: EvidenceResult[], ms: number): EvidenceResult[] {
  return results.map((r) => ({
    ...r,
    events: r.events.map((e) => ({ ...e, ts: e.ts + ms })),
    meta: { ...r.meta, firstTs: (r.meta.firstTs ?? 0) + ms, lastTs: (r.meta.lastTs ?? 0) + ms },
  }));
}

async function open(results: EvidenceResult[], name: string) {
  const { diagnosis, series } = diagnose({ results, options: DEFAULT_OPTIONS });
  const file = join(dir, `${name}.html`);
  writeFileSync(file, renderHtml(diagnosis, series));
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('#chart[data-rendered="true"][data-shaded]', { timeout: 15_000 });
  return { page, errors, requests, diagnosis };
}

test('renders the chart with one shaded band per incident and no console errors', async () => {
  // Incidents from three scenarios, 10 min apart, as if one long session: a report, a HAR and a capture.
  const results = [
    ...loadFixture('desktop-throttled.report'),
    ...shift(loadFixture('closed-by-server.har'), 600_000),
    ...shift(loadFixture('inbound-loss.capture'), 1_200_000),
  ];
  const { page, errors, requests, diagnosis } = await open(results, 'multi');
  assert.ok(diagnosis.incidents.length >= 2, `only ${diagnosis.incidents.length} incident(s)`);
  const chart = await page.$eval('#chart', (el) => ({
    incidents: el.getAttribute('data-incidents'),
    shaded: el.getAttribute('data-shaded'),
    canvases: el.querySelectorAll('canvas').length,
  }));
  assert.equal(chart.incidents, String(diagnosis.incidents.length));
  assert.equal(chart.shaded, String(diagnosis.incidents.length));
  assert.ok(chart.canvases >= 1);
  assert.equal(await page.locator('section.incident').count(), diagnosis.incidents.length);
  assert.match((await page.textContent('#summary')) ?? '', /incidents?: /);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, [], 'the report must not touch the network');
  await page.close();
});

test('captured markup is shown as text and never runs', async () => {
  const { page, errors } = await open(loadFixture('hostile-strings.all'), 'hostile');
  assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  const text = (await page.textContent('body')) ?? '';
  assert.ok(text.includes('<script>window.pwned=1</script>'), 'the hostile text is visible as text');
  assert.equal(await page.locator('img').count(), 0, 'no <img> element came from the data');
  assert.ok(!text.includes('SECRET123'), 'secrets are redacted');
  assert.equal(await page.locator('#chart').getAttribute('data-shaded'), '1');
  assert.deepEqual(errors, []);
  await page.close();
});
