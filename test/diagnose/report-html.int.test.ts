// The HTML report in real Chromium: it renders, shades one band per incident, logs no console error (a CSP
// violation would be one), and nothing from captured data runs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../src/browser/chromium.ts';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { reportContext } from '../../src/diagnose/report-header.ts';
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
  assert.ok(chart.canvases >= 1, 'a canvas');
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

test('screenshot: lane labels whole, UTC axis in a non-UTC browser, header block, hostile strings inert', async () => {
  // Hostile file names and problem text: <script>, a right-to-left override, ESC sequences.
  const evil = `desk\u202etop\u001b[31m<b>.har`;
  const hostileDir = mkdtempSync(join(tmpdir(), 'lifeline-shot-'));
  const harPath = join(hostileDir, evil);
  const capPath = join(hostileDir, 'pc.pcapng');
  writeFileSync(harPath, 'har bytes');
  writeFileSync(capPath, 'capture bytes');
  const renamed = loadFixture('hostile-strings.all').map((r) => {
    const file = r.kind === 'har' ? harPath : capPath;
    return {
      ...r,
      file,
      events: r.events.map((e) => ({ ...e, source: file })),
      problems: [
        ...r.problems,
        {
          code: 'TEST_HOSTILE',
          message: 'bad <script>window.pwned=2</script> \u202eesrever\u202c \u001b[2J end',
          file,
          line: 7,
          severity: 'warning' as const,
        },
      ],
    };
  });

  const { diagnosis, series } = diagnose({ results: renamed, options: DEFAULT_OPTIONS });

  const ctx = await reportContext([harPath, capPath], ['lifeline', 'diagnose', harPath, capPath, '--html', 'r.html']);

  const file = join(dir, 'shot.html');
  writeFileSync(file, renderHtml(diagnosis, series, ctx));
  const context = await browser.newContext({ timezoneId: 'Asia/Kolkata', viewport: { width: 1400, height: 1000 } });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`file://${file}`);
    await page.waitForSelector('#chart[data-rendered="true"][data-shaded]', { timeout: 15_000 });
    assert.equal(await page.evaluate(() => new Date(0).getTimezoneOffset()), -330, 'the browser is not on UTC');
    const chart = await page.$eval('#chart', (el) => ({
      lanes: el.getAttribute('data-lanes') ?? '',
      labelWidth: Number(el.getAttribute('data-label-width')),
      axisSize: Number(el.getAttribute('data-axis-size')),
      ticks: el.getAttribute('data-x-ticks') ?? '',
      incidents: el.getAttribute('data-incident-labels') ?? '',
    }));
    // Lane labels: base name + direction, escaped, and the axis wider than the widest label.
    const lanes = chart.lanes.split('|');
    assert.ok(lanes.length >= 2, chart.lanes);
    for (const l of lanes)
      assert.match(l, /^(desk\\u202etop\\x1b\[31m<b>\.har|pc\.pcapng) (desktop→Notifs|Notifs→desktop)$/);
    assert.ok(chart.labelWidth > 50 && chart.axisSize >= chart.labelWidth + 10, JSON.stringify(chart));
    // The x axis is UTC: the first tick (time + date) lies inside the evidence's span read as UTC.
    const first = /^(\d\d:\d\d:\d\d(?:\.\d+)?) (\d{4}-\d\d-\d\d)/.exec(chart.ticks);
    assert.ok(first, chart.ticks);
    const tick = Date.parse(`${first[2]}T${first[1]}Z`);
    const span = (diagnosis.end ?? 0) - (diagnosis.start ?? 0);
    assert.ok(tick >= (diagnosis.start ?? 0) - span - 1000 && tick <= (diagnosis.end ?? 0) + 1000, `${chart.ticks}`);
    assert.match(chart.incidents, /^#1 closed-by-server/);
    // The legend: one filled swatch per lane plus the incident band, and no uPlot legend with empty boxes.
    const swatches = await page.$$eval('#legend .swatch', (els) => els.map((s) => getComputedStyle(s).backgroundColor));
    assert.equal(swatches.length, lanes.length + 1);
    for (const c of swatches) assert.notEqual(c, 'rgba(0, 0, 0, 0)');
    assert.equal(await page.locator('.u-legend').count(), 0);
    // Header block: version, command line, timers, sizes, SHA-256 of each input, blind spots, problems as text.
    const header = (await page.textContent('#report-header')) ?? '';
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
    assert.match(header, new RegExp(`Lifeline\\s*${version.replace(/\./g, '\\.')}`));
    assert.ok(header.includes(`lifeline diagnose '${join(hostileDir, 'desk\\u202etop\\x1b[31m<b>.har')}'`), header);
    assert.match(header, /silence 16 s, recovery 50 s, keepalive 4 s/);
    assert.ok(header.includes(createHash('sha256').update('har bytes').digest('hex')), 'SHA-256 of the HAR');
    assert.ok(header.includes('har-chrome') && header.includes('9 B'), 'size');
    assert.match(header, /ping\/pong frames, TCP/, 'blind spots');
    assert.ok(
      header.includes(
        'warning: TEST_HOSTILE: bad <script>window.pwned=2</script> \\u202eesrever\\u202c \\x1b[2J end (line 7)',
      ),
      'the problem as text',
    );
    // Nothing hostile is live: no raw bidi/ESC in the page text, no script ran, no element from the data.
    const body = (await page.evaluate(() => document.body.textContent)) ?? '';
    assert.ok(!/[\u202a-\u202e\u2066-\u2069\u001b]/.test(body), 'raw bidi or ESC reached the page');
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
    assert.equal(await page.locator('b').count(), await page.locator('p b').count(), 'no <b> from the file name');
    const png = await page.screenshot({ fullPage: true, path: join(tmpdir(), 'lifeline-report-shot.png') });
    assert.ok(png.length > 20_000, `screenshot of ${png.length} bytes`);
    console.log(`# screenshot: ${join(tmpdir(), 'lifeline-report-shot.png')}`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    rmSync(hostileDir, { recursive: true, force: true });
  }
});
