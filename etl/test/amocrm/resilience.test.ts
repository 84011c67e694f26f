import { z } from 'zod';
import { createAmoClient, type AmoClient } from '../../src/amocrm/client';
import { longLivedAuth } from '../../src/amocrm/auth';
import { AmoAuthError, AmoBlockedError, AmoHttpError } from '../../src/amocrm/errors';
import { startFakeServer, maxInWindow, useFakeServerClient, type Reply } from './fake-server';
import { createLogger, registerSecret, setLogger } from '../../src/log';

// Retries and back-offs are logged at warn; the assertions here check them through stats instead.
setLogger(createLogger({ level: 'silent' }));

const item = z.object({ id: z.number() });
const ok = (ids: number[] = [1]): Reply => ({ status: 200, body: { _embedded: { leads: ids.map((id) => ({ id })) }, _links: {} } });

describe('retries, back-off and stops', () => {
  const start = useFakeServerClient('long-lived-token-456');
  const drain = async (c: AmoClient, path = '/leads') => {
    const out: number[] = [];
    for await (const items of c.pages(path, {}, { embedded: 'leads', item, entity: 'lead' })) out.push(...items.map((i) => i.id));
    return out;
  };

  it('retries injected 503s with back-off and then succeeds', async () => {
    const { server, client } = await start((_req, n) => (n <= 3 ? { status: 503, body: 'upstream down' } : ok([7])));
    expect(await drain(client)).toEqual([7]);
    expect(server.arrivals).toHaveLength(4);
    expect(client.stats()).toEqual({ requests: 4, throttled: 0, retried: 3 });
  });

  it('gives up on a persistent 5xx after maxRetries, naming status and path', async () => {
    const { server, client } = await start(() => ({ status: 502, body: 'bad gateway' }), { maxRetries: 2 });
    const err = await drain(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoHttpError);
    expect((err as AmoHttpError).status).toBe(502);
    expect((err as Error).message).toBe('amoCRM /api/v4/leads: HTTP 502: bad gateway (gave up after 3 attempts)');
    expect(server.arrivals).toHaveLength(3);
  });

  it('retries network errors (connection reset, timeout)', async () => {
    let n = 0;
    const { server, client } = await start(
      async (req) => {
        n++;
        if (n === 1) req.socket.destroy();
        if (n === 2) await new Promise((r) => setTimeout(r, 400));
        return ok([n]);
      },
      { timeoutMs: 150 },
    );
    const got = await drain(client);
    expect(got).toEqual([3]);
    expect(client.stats().retried).toBe(2);
    expect(server.arrivals.length).toBeGreaterThanOrEqual(2);
  });

  it('backs off at least a second after each 429 of a burst (no Retry-After), then succeeds', async () => {
    const { server, client } = await start((_req, n) => (n <= 2 ? { status: 429, body: '<html>429 Too Many Requests</html>', type: 'text/html' } : ok()));
    expect(await drain(client)).toEqual([1]);
    const t = server.arrivals.map((a) => a.at);
    expect(t[1]! - t[0]!).toBeGreaterThanOrEqual(990);
    expect(t[2]! - t[1]!).toBeGreaterThanOrEqual(1990); // exponential: 1 s, then 2 s
    expect(client.stats()).toEqual({ requests: 3, throttled: 2, retried: 0 });
  });

  it('a 429 holds every concurrent walker of the account, not only the one that got it', async () => {
    const { server, client } = await start((_req, n) => (n === 1 ? { status: 429, body: '' } : ok()), { rps: 6 });
    await Promise.all([drain(client), drain(client), drain(client)]);
    const t = server.arrivals.map((a) => a.at).sort((a, b) => a - b);
    expect(t).toHaveLength(4);
    // The limiter spaces the other walkers' first requests >= 175 ms after the first one, by which time its 429
    // is back: they all wait out the hold instead of arriving at +175 ms and +350 ms.
    for (const x of t.slice(1)) expect(x - t[0]!).toBeGreaterThanOrEqual(990);
  });

  it('stops the whole account at once on a 403 HTML block — no retry storm', async () => {
    const { server, client } = await start(() => ({ status: 403, body: '<html><head><title>403 Forbidden</title></head><body>nginx</body></html>', type: 'text/html' }), { rps: 6 });
    const results = await Promise.allSettled([drain(client), drain(client, '/tasks'), drain(client, '/events'), client.get('/account')]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AmoBlockedError);
    }
    expect(String((results[0] as PromiseRejectedResult).reason.message)).toMatch(/^account blocked by amoCRM for request-rate abuse/);
    // The first 403 stops the others before they hit the network (the limiter spaces them 175 ms apart).
    expect(server.arrivals).toHaveLength(1);
    expect(client.stats().requests).toBe(1);
    // A later call fails fast too, without a request.
    await expect(client.get('/account')).rejects.toBeInstanceOf(AmoBlockedError);
    expect(server.arrivals).toHaveLength(1);
  });

  it('a JSON 403 (no rights) is an ordinary HTTP error, not a block', async () => {
    const { client } = await start(() => ({ status: 403, type: 'application/problem+json', body: { title: 'Forbidden', status: 403, detail: 'No rights' } }));
    const err = await client.get('/leads/1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoHttpError);
    expect((err as Error).message).toBe('amoCRM /api/v4/leads/1: HTTP 403: Forbidden: No rights');
  });

  it('a rejected long-lived token says what to do, after one request, and never shows the token', async () => {
    const { server, client } = await start(() => ({ status: 401, type: 'application/problem+json', body: { title: 'Unauthorized', status: 401, detail: 'token long-lived-token-456 expired' } }));
    const err = await client.get('/account').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoAuthError);
    expect((err as Error).message).toMatch(/long-lived token has expired or was revoked.*set AMOCRM_ACCESS_TOKEN/);
    expect((err as Error).message).not.toContain('long-lived-token-456');
    expect(server.arrivals).toHaveLength(1);
  });

  it('masks registered secrets that a server echoes into an error', async () => {
    registerSecret('client-secret-echo-789');
    const { client } = await start(() => ({ status: 400, type: 'application/problem+json', body: { title: 'Bad Request', detail: 'bad client-secret-echo-789' } }));
    const err = await client.get('/account').catch((e: unknown) => e);
    expect((err as Error).message).toBe('amoCRM /api/v4/account: HTTP 400: Bad Request: bad [REDACTED]');
  });

  it('refuses a rate above amoCRM\'s 7 requests/second', () => {
    expect(() => createAmoClient({ baseUrl: 'http://127.0.0.1:1', auth: longLivedAuth('whatever-token'), rps: 8 })).toThrow(/at most|between 0 and 7/);
  });
});

describe('the shared limiter under concurrency', () => {
  it.each([6, 7])('20 concurrent walkers at rps %i never exceed it in any 1-second window, and sustain >= 90 %% of it', async (rps) => {
    const pagesPerWalker = 3;
    const server = await startFakeServer((req) => {
      const page = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? 1);
      const next = page < pagesPerWalker ? { next: { href: `https://acme.amocrm.ru${req.url!.split('?')[0]}?page=${page + 1}` } } : {};
      return { status: 200, body: { _embedded: { leads: [{ id: page }] }, _links: next } };
    });
    // Two clients of the same account share one limiter: ten walkers each.
    const clients = [0, 1].map(() => createAmoClient({ baseUrl: server.url, auth: longLivedAuth('long-lived-token-000'), rps }));
    try {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 20 }, async (_, w) => {
          for await (const _items of clients[w % 2]!.pages(`/walker${w}`, {}, { embedded: 'leads', item, entity: 'lead' })) {
            /* consume */
          }
        }),
      );
      const elapsed = performance.now() - started;
      const times = server.arrivals.map((a) => a.at);
      expect(times).toHaveLength(20 * pagesPerWalker);
      expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(rps);
      const achieved = (times.length - 1) / ((Math.max(...times) - Math.min(...times)) / 1000);
      expect(achieved).toBeGreaterThanOrEqual(0.9 * rps);
      expect(achieved).toBeLessThanOrEqual(rps);
      expect(elapsed).toBeGreaterThan(((20 * pagesPerWalker - 1) / rps) * 1000);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    }
  });
});
