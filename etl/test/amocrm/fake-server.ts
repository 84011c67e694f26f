import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { longLivedAuth } from '../../src/amocrm/auth';
import { createAmoClient, type AmoClient, type AmoClientOptions } from '../../src/amocrm/client';

/** A tiny real HTTP server for transport tests: a handler per request plus the arrival time of each. */
export interface FakeServer {
  url: string;
  arrivals: Array<{ at: number; path: string; url: string; authorization?: string }>;
  close(): Promise<void>;
}

export type Reply = { status: number; body?: string | object; type?: string; headers?: Record<string, string> };

export async function startFakeServer(handler: (req: http.IncomingMessage, n: number, body: string) => Reply | Promise<Reply>): Promise<FakeServer> {
  const arrivals: FakeServer['arrivals'] = [];
  const server = http.createServer((req, res) => {
    const at = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      arrivals.push({ at, path: req.url!.split('?')[0]!, url: req.url!, authorization: req.headers.authorization });
      const r = await handler(req, arrivals.length, Buffer.concat(chunks).toString());
      const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      res.writeHead(r.status, { 'content-type': r.type ?? (typeof r.body === 'object' ? 'application/hal+json' : 'text/plain'), ...r.headers });
      res.end(r.status === 204 ? undefined : body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    arrivals,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The largest number of arrivals inside any window of `windowMs` (sliding, not calendar seconds). */
export function maxInWindow(times: number[], windowMs = 1000): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j]! - t[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** A HAL page the way amoCRM builds it: absolute links on the "real" host, next only when the page is full. */
export function halPage(opts: { host: string; path: string; key: string; items: unknown[]; page: number; limit: number; total: number }) {
  const { host, path, key, items, page, limit, total } = opts;
  const links: Record<string, { href: string }> = { self: { href: `${host}${path}?page=${page}&limit=${limit}` } };
  if (page * limit <= total && items.length === limit) links.next = { href: `${host}${path}?page=${page + 1}&limit=${limit}` };
  return { _page: page, _links: links, _embedded: { [key]: items } };
}

/**
 * For a describe block: `start(handler)` serves `handler` on a fresh FakeServer and returns a client for it
 * (limiter off, 5 ms retry back-off); afterEach closes both.
 */
export function useFakeServerClient(token: string) {
  let server: FakeServer | undefined;
  let client: AmoClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = server = undefined;
  });
  return async (handler: Parameters<typeof startFakeServer>[0], extra: Partial<AmoClientOptions> = {}) => {
    server = await startFakeServer(handler);
    client = createAmoClient({ baseUrl: server.url, auth: longLivedAuth(token), rps: 0, retry: { errorBaseMs: 5 }, ...extra });
    return { server, client };
  };
}
