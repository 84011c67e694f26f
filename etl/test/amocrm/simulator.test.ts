import { z } from 'zod';
import { startSimulator, type Simulator } from '../../src/simulator';
import { createAmoClient, type AmoClient } from '../../src/amocrm/client';
import { longLivedAuth } from '../../src/amocrm/auth';
import { AmoBlockedError, AmoPayloadError } from '../../src/amocrm/errors';
import { createLogger, setLogger } from '../../src/log';

// Retries and back-offs are logged at warn; the assertions here check them through stats instead.
setLogger(createLogger({ level: 'silent' }));

const TOKEN = 'sim-long-lived-token-1';
const lead = z.looseObject({ id: z.number(), price: z.number(), updated_at: z.number(), status_id: z.number() });

describe('the client against the amoCRM simulator', () => {
  let sim: Simulator;
  let ids: number[];
  const clients: AmoClient[] = [];
  const client = (opts: Partial<Parameters<typeof createAmoClient>[0]> = {}) => {
    const c = createAmoClient({ baseUrl: sim.url, auth: longLivedAuth(TOKEN), retry: { errorBaseMs: 20 }, ...opts });
    clients.push(c);
    return c;
  };
  const walk = async (c: AmoClient, query: Record<string, unknown> = {}) => {
    const pages: Array<z.infer<typeof lead>[]> = [];
    for await (const p of c.pages('/api/v4/leads', { limit: 250, ...query } as never, { embedded: 'leads', item: lead, entity: 'lead' })) pages.push(p);
    return pages;
  };

  beforeAll(async () => {
    sim = await startSimulator({ seed: 7, token: TOKEN, size: { managers: 3, pipelines: 1, months: 2, leads: 700 } });
    ids = (sim.dataset().leads as Array<{ id: number }>).map((l) => l.id);
    expect(ids.length).toBeGreaterThan(251);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    sim.setFaults({});
    sim.setBlocked(false);
    sim.resetStats();
  });
  afterAll(async () => {
    await sim.close();
  });

  it.each([
    [0, [], 1],
    [1, [1], 1],
    [250, [250], 1],
    [251, [250, 1], 2],
  ])('pages of exactly %i rows come back as %j in %i requests', async (n, sizes, requests) => {
    const c = client();
    const wanted = n === 0 ? [999_999_999] : ids.slice(0, n);
    const pages = await walk(c, { filter: { id: wanted } });
    expect(pages.map((p) => p.length)).toEqual(sizes);
    expect(pages.flat().map((l) => l.id).sort((a, b) => a - b)).toEqual(n === 0 ? [] : [...wanted].sort((a, b) => a - b));
    expect(sim.stats().total).toBe(requests);
  });

  it('walks every lead through injected 5xx answers', async () => {
    sim.setFaults({ errorRate: 0.4 });
    const c = client({ maxRetries: 8 });
    for (let round = 0; round < 3; round++) {
      const got = (await walk(c)).flat().map((l) => l.id);
      expect(got.sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    }
    expect(c.stats().retried).toBeGreaterThan(0);
    expect(c.stats().retried).toBe(sim.stats().total - 3 * Math.ceil(ids.length / 250));
  });

  it('absorbs 429 bursts: an unthrottled client is pushed back and still gets everything', async () => {
    const c = client({ rps: 0 });
    // 4 walkers x 3 pages sent back to back: 12 requests within a few ms against a limit of 7 per second.
    const results = await Promise.all([0, 1, 2, 3].map(() => walk(c)));
    for (const pages of results) expect(pages.flat()).toHaveLength(ids.length);
    expect(sim.stats().throttled).toBeGreaterThan(0);
    expect(c.stats().throttled).toBe(sim.stats().throttled);
  });

  it('at the default rate nobody is throttled and no second exceeds 6 requests', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // let the simulator's 1-second window forget the burst test
    const c = client();
    await Promise.all([0, 1, 2, 3, 4].map(() => walk(c)));
    const s = sim.stats();
    expect(s.throttled).toBe(0);
    expect(s.maxPerSecond).toBeLessThanOrEqual(6);
    expect(s.total).toBe(5 * Math.ceil(ids.length / 250));
  });

  it('20 concurrent walkers at rps 7 (the simulator\'s own limit): not one 429, no second above 7', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const c = client({ rps: 7 });
    const results = await Promise.all(Array.from({ length: 20 }, () => walk(c)));
    for (const pages of results) expect(pages.flat()).toHaveLength(ids.length);
    const s = sim.stats();
    expect(s.throttled).toBe(0);
    expect(s.maxPerSecond).toBeLessThanOrEqual(7);
    expect(s.total).toBe(20 * Math.ceil(ids.length / 250));
  });

  it('a malformed JSON page is a clear error and nothing of it is yielded', async () => {
    sim.setFaults({ malformedPath: '/api/v4/leads' });
    const c = client();
    const yielded: unknown[] = [];
    const err = await (async () => {
      for await (const p of c.pages('/api/v4/leads', { limit: 250 }, { embedded: 'leads', item: lead, entity: 'lead' })) yielded.push(...p);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoPayloadError);
    expect((err as Error).message).toMatch(/^lead page 1 of \/api\/v4\/leads: response is not valid JSON/);
    expect(yielded).toEqual([]);
  });

  it('a wrongly typed field names the lead and its id', async () => {
    sim.setFaults({ malformedPath: '/api/v4/leads', malformedKind: 'type' });
    const c = client();
    const err = await walk(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoPayloadError);
    expect((err as Error).message).toMatch(/^lead \d+: updated_at: expected number, received string$/);
  });

  it('stops at once when the account is blocked (403 HTML), whatever the concurrency', async () => {
    sim.setBlocked(true);
    const c = client();
    const results = await Promise.allSettled([walk(c), walk(c), walk(c), c.get('/api/v4/account')]);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AmoBlockedError);
    expect(sim.stats().total).toBe(1);
  });
});
