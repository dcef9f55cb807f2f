// The browser Agent Desktop in headless Chromium: /desktop/ connects, receives a published notification, and
// window.lifeline.errorReport() is a schema-valid report whose keepalives came from the Web Worker timer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../src/browser/chromium.ts';
import type { ErrorReportV1 } from '../../src/protocol/error-report-schema.ts';
import { type NotifsServer, startNotifsServer } from '../../src/server/notifs-server.ts';
import { assertValidReport } from './report-schema.ts';

let browser: Browser;
let s: NotifsServer;

before(async () => {
  browser = await launchChromium();
  s = await startNotifsServer({ keepaliveMs: 200, silenceMs: 1000, sweepMs: 25 });
});

after(async () => {
  await browser?.close();
  await s?.close();
});

async function openDesktop(agentId: string, extra = '') {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const q = `agentId=${agentId}&token=${encodeURIComponent(s.tokenFor(agentId)!)}&keepaliveMs=200&silenceMs=1000&recoveryMs=5000${extra}`;
  await page.goto(`${s.url}/desktop/?${q}`);
  await page.waitForFunction(() => window.lifeline?.state === 'connected', undefined, { timeout: 15000 });
  return { page, errors };
}

test('the /desktop/ page connects, shows a notification and reports with worker-timer keepalives', async () => {
  const { page, errors } = await openDesktop('browser-1');
  await s.publish('browser-1', { type: 'AgentStateChange', data: { state: 'Available' } });
  await page.waitForFunction(() => window.lifeline.notifications.length === 1, undefined, { timeout: 10000 });
  assert.match((await page.locator('#banner').textContent()) ?? '', /Connected/);
  assert.match((await page.locator('#notifications').textContent()) ?? '', /AgentStateChange/);
  // Wait until the worker timer has sent keepalives itself (not only onmessage replies).
  await page.waitForFunction(
    () =>
      window.lifeline
        .errorReport()
        ?.entries.some((e) => e.kind === 'sent' && e.type === 'keepalive' && (e as { via?: string }).via === 'worker'),
    undefined,
    { timeout: 10000, polling: 100 },
  );
  // Lifecycle wiring: the page listens for these and records them (the lab drives the real ones).
  await page.evaluate(() => {
    document.dispatchEvent(new Event('freeze'));
    document.dispatchEvent(new Event('resume'));
    window.dispatchEvent(new Event('offline'));
  });
  const report = (await page.evaluate(() => window.lifeline.errorReport())) as ErrorReportV1;
  assertValidReport(report);
  assert.deepEqual(
    report.entries.filter((e) => e.kind === 'lifecycle').map((e) => (e as { what: string }).what),
    ['freeze', 'resume', 'offline'],
  );
  assert.equal(report.runtime, 'browser');
  assert.equal(report.config.keepaliveTimer, 'worker');
  assert.equal(report.totals.notificationsDelivered, 1);
  assert.ok(report.entries.some((e) => e.kind === 'drift' && e.timer === 'worker'));
  assert.ok(report.entries.some((e) => e.kind === 'state' && e.to === 'connected'));
  assert.match(report.userAgent ?? '', /Chrome/);
  // The seed's step 1: the agent clicks "Download error report" and gets the same report as a JSON file.
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.click('#download')]);
  assert.match(download.suggestedFilename(), /^lifeline-error-report-browser-1-.*\.json$/);
  const file = await download.path();
  assert.ok(file, 'download saved');
  const downloaded = JSON.parse(readFileSync(file, 'utf8'));
  assertValidReport(downloaded);
  assert.equal(downloaded.clientId, report.clientId);
  assert.deepEqual(errors, []);
  await page.close();
});

test('?timer=main runs the keepalive timer on the main thread; the server timers are the page defaults', async () => {
  const page = await browser.newPage();
  await page.goto(
    `${s.url}/desktop/?agentId=browser-2&token=${encodeURIComponent(s.tokenFor('browser-2')!)}&timer=main`,
  );
  await page.waitForFunction(() => window.lifeline?.state === 'connected', undefined, { timeout: 15000 });
  const report = (await page.evaluate(() => window.lifeline.errorReport())) as ErrorReportV1;
  assertValidReport(report);
  assert.equal(report.config.keepaliveTimer, 'main');
  assert.equal(report.config.keepaliveMs, 200, 'from the serving Notifs');
  assert.equal(report.config.silenceMs, 1000);
  await page.close();
});
