// Debian's Chromium through playwright-core, launched one way everywhere: the system binary (never a downloaded
// browser) with flags that keep a headless run quiet and deterministic (no background traffic, no QUIC, so the
// WebSocket stays on TCP where captures can see it).

import { existsSync } from 'node:fs';
import type { Browser, BrowserServer, LaunchOptions } from 'playwright-core';
import { LifelineError } from '../errors.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Throws, naming the Debian package, when the system Chromium is not installed. */
export function requireChromium(): string {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new LifelineError(
      'CHROMIUM_MISSING',
      `${CHROMIUM_PATH} is missing: install the Debian package "chromium" (apt-get install chromium)`,
      'missing-tool',
    );
  }
  return CHROMIUM_PATH;
}

/** Launch options for the system Chromium: the standard flags, then `extraArgs`; `opts` may add anything else. */
export function chromiumLaunchOptions(extraArgs: readonly string[] = [], opts: LaunchOptions = {}): LaunchOptions {
  return { ...opts, executablePath: requireChromium(), args: [...CHROMIUM_FLAGS, ...extraArgs] };
}

// playwright-core is imported on first launch only: the lab imports the flags above, and every CLI command would
// otherwise pay ~0.35 s of start-up for it.
export async function launchChromium(extraArgs: readonly string[] = [], opts: LaunchOptions = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch(chromiumLaunchOptions(extraArgs, opts));
}

/** A Chromium whose process the caller can kill (e.g. SIGKILL to cut a NetLog mid-session). */
export async function launchChromiumServer(
  extraArgs: readonly string[] = [],
  opts: LaunchOptions = {},
): Promise<BrowserServer> {
  const { chromium } = await import('playwright-core');
  return chromium.launchServer(chromiumLaunchOptions(extraArgs, opts));
}
