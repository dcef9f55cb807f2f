// Placeholder: replaced below by the browser desktop page.
import type { IncomingMessage, ServerResponse } from 'node:http';

export async function handleDesktopPage(
  _req: IncomingMessage,
  res: ServerResponse,
  _url: URL,
  _defaults: { keepaliveMs: number; silenceMs: number; recoveryMs: number },
): Promise<void> {
  res.writeHead(404);
  res.end();
}
