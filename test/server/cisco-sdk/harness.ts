// A page origin (its own 127.0.0.1 port, so every call to lifeline serve is cross-origin) serving the bundled SDK
// and the test desktop, and headless Chromium pages on it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../src/browser/chromium.ts';
import type { DeskEvent, DeskOptions } from './page.ts';
import { bundleScripts } from './sdk-bundle.ts';

const HTML =
  '<!doctype html><meta charset="utf-8"><title>SDK desk</title><script src="/sdk.js"></script><script src="/page.js"></script>';

export interface SdkHarness {
  origin: string;
  browser: Browser;
  /** A fresh page (its own browser context: its own desktop) with the SDK loaded. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function startSdkHarness(): Promise<SdkHarness> {
  const scripts = await bundleScripts();
  const server: Server = createServer((req, res) => {
    const body =
      req.url === '/' ? HTML : req.url === '/sdk.js' ? scripts.sdk : req.url === '/page.js' ? scripts.page : undefined;
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, {
      'content-type': req.url === '/' ? 'text/html' : 'text/javascript',
      'cache-control': 'no-store',
    });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  return {
    origin,
    browser,
    async newPage() {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(`${origin}/`);
      return page;
    },
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

export function startDesk(page: Page, o: DeskOptions): Promise<unknown> {
  return page.evaluate(
    (opts) => (globalThis as unknown as { startDesk(o: DeskOptions): Promise<unknown> }).startDesk(opts),
    o,
  );
}

export function deskLog(page: Page, name: string): Promise<DeskEvent[]> {
  return page.evaluate(
    (n) => (globalThis as unknown as { deskLog: Record<string, DeskEvent[]> }).deskLog[n] ?? [],
    name,
  );
}

const PROTOCOL_TYPES = new Set(['Welcome', 'AGENT_MULTI_LOGIN']);

/** Notifications (not keepalives, Welcome or the multi-login notice) the SDK's emitter passed on, in order. */
export function notifications(log: DeskEvent[]): Array<{ type: string; data: Record<string, unknown> }> {
  return log
    .filter((e) => e.kind === 'message')
    .map((e) => e.data as { type?: string; keepalive?: string; data: Record<string, unknown> })
    .filter((m) => m.type !== undefined && !PROTOCOL_TYPES.has(m.type)) as Array<{
    type: string;
    data: Record<string, unknown>;
  }>;
}

/** Poll a desk's log until `pred` holds (bounded; says what it waited for). */
export async function untilLog(
  page: Page,
  name: string,
  pred: (log: DeskEvent[]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<DeskEvent[]> {
  const t0 = Date.now();
  for (;;) {
    const log = await deskLog(page, name);
    if (pred(log)) return log;
    if (Date.now() - t0 > timeoutMs) {
      const tail = log.slice(-8).map((e) => `${e.kind} ${JSON.stringify(e.data ?? '')}`.slice(0, 160));
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} on ${name}; last events:\n${tail.join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
