// GET /desktop/ (the browser Agent Desktop page) and GET /desktop/client.js (src/desktop/browser-entry.ts bundled
// with esbuild on first request, kept in memory). The page is static: its configuration comes from its own URL
// query, read by the script, so nothing user-supplied is ever interpolated into HTML here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../desktop/browser-entry.ts', import.meta.url));

let bundle: Promise<string> | undefined;

/** Build (once) the browser bundle of the desktop client. */
export function desktopBundle(): Promise<string> {
  bundle ??= (async () => {
    const esbuild = await import('esbuild');
    const r = await esbuild.build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      minify: false,
      sourcemap: false,
      logLevel: 'silent',
    });
    return r.outputFiles[0].text;
  })();
  bundle.catch(() => {
    bundle = undefined; // let the next request retry
  });
  return bundle;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="lifeline-defaults" content="__DEFAULTS__">
<title>Lifeline Agent Desktop</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
  header { display: flex; gap: 1em; align-items: center; padding: .5em 1em; background: #f4f4f4; }
  .banner { padding: .75em 1em; font-weight: 600; }
  .banner.connected { background: #d9f7dc; } .banner.recovering, .banner.connecting { background: #fff3c4; }
  .banner.lost, .banner.closed { background: #ffd6d6; } .banner.idle { background: #eee; }
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; padding: 0 1em; }
  ul { list-style: none; padding: 0; font-family: ui-monospace, monospace; font-size: 12px; }
  li { border-bottom: 1px solid #eee; padding: 2px 0; word-break: break-all; }
</style>
</head>
<body>
<header><strong>Lifeline Agent Desktop</strong> agent <span id="agent">-</span> · keepalive timer <span id="timer">-</span>
<button id="download" type="button">Download error report</button>
<button id="reconnect" type="button" hidden>Reconnect</button></header>
<div id="banner" class="banner idle">Starting…</div>
<main>
<section><h3>Notifications</h3><ul id="notifications"></ul></section>
<section><h3>Connection</h3><ul id="events"></ul></section>
</main>
<script type="module" src="client.js"></script>
</body>
</html>
`;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; worker-src blob:; connect-src 'self' ws: wss: http: https:; style-src 'unsafe-inline'; img-src 'self' data:",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export async function handleDesktopPage(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  defaultsIn: { keepaliveMs: number; silenceMs: number; recoveryMs: number },
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    res.end();
    return;
  }
  if (url.pathname === '/desktop') {
    res.writeHead(301, { location: `/desktop/${url.search}` });
    res.end();
    return;
  }
  if (url.pathname === '/desktop/' || url.pathname === '/desktop/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS });
    // Only server-side numbers go in (the server's timers as the page's defaults); attribute-escaped anyway.
    const defaults = JSON.stringify({
      keepaliveMs: defaultsIn.keepaliveMs,
      silenceMs: defaultsIn.silenceMs,
      recoveryMs: defaultsIn.recoveryMs,
    }).replace(/[&"<>]/g, (ch) => `&#${ch.charCodeAt(0)};`);
    res.end(req.method === 'HEAD' ? undefined : PAGE.replace('__DEFAULTS__', defaults));
    return;
  }
  if (url.pathname === '/desktop/client.js') {
    const js = await desktopBundle();
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', ...SECURITY_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : js);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: 'not-found', message: 'no such desktop asset' }));
}
