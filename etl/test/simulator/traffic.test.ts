import { startSimulator, type Simulator } from '../../src/simulator';
import { get, NOW } from './helpers';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ size: { leads: 200 }, now: NOW, token: ['sim-token', 'other-token'] });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.setFaults({});
  sim.setBlocked(false);
  sim.setRps(7);
  sim.resetStats();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate limit (7 req/s per token, sliding window)', () => {
  it('answers a burst beyond 7 with 429 HTML and counts it in the stats', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(sim, '/api/v4/leads?limit=1')));
    const ok = answers.filter((a) => a.status === 200);
    const throttled = answers.filter((a) => a.status === 429);
    expect(ok).toHaveLength(7);
    expect(throttled).toHaveLength(13);
    expect(throttled[0]!.type).toMatch(/^text\/html/);
    expect(() => JSON.parse(throttled[0]!.text)).toThrow();
    const s = sim.stats();
    expect(s).toMatchObject({ total: 20, throttled: 13, maxPerSecond: 20, maxAcceptedPerSecond: 7 });
    expect(s.status).toEqual({ '200': 7, '429': 13 });
    expect(s.byPath['/api/v4/leads']).toBe(20);
    // the limit is per token: another token still has its own budget
    expect((await get(sim, '/api/v4/leads?limit=1', 'other-token')).status).toBe(200);
    await sleep(1100);
    expect((await get(sim, '/api/v4/leads?limit=1')).status).toBe(200);
  });

  it('lets a client paced just under 7 req/s through', async () => {
    await sleep(1100); // let the previous test's requests leave the window
    for (let i = 0; i < 12; i++) {
      const a = await get(sim, '/api/v4/users');
      expect(a.status).toBe(200);
      await sleep(160);
    }
    expect(sim.stats()).toMatchObject({ throttled: 0 });
    expect(sim.stats().maxAcceptedPerSecond).toBeLessThanOrEqual(7);
  });

  it('setRps(0) disables the limiter (benchmarks)', async () => {
    sim.setRps(0);
    const answers = await Promise.all(Array.from({ length: 30 }, () => get(sim, '/api/v4/account')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(sim.stats().maxAcceptedPerSecond).toBe(30);
  });
});

describe('block mode', () => {
  it('answers 403 nginx HTML to everything, OAuth included, until lifted', async () => {
    sim.setBlocked(true);
    for (const path of ['/api/v4/leads', '/api/v4/account']) {
      const a = await get(sim, path);
      expect(a.status).toBe(403);
      expect(a.type).toMatch(/^text\/html/);
      expect(a.text).toContain('403 Forbidden');
    }
    const oauth = await fetch(`${sim.url}/oauth2/access_token`, { method: 'POST', body: '{}' });
    expect(oauth.status).toBe(403);
    sim.setBlocked(false);
    expect((await get(sim, '/api/v4/account')).status).toBe(200);
  });
});

describe('faults', () => {
  // These tests send requests back to back; the limiter (tested above) would turn some into 429s.
  beforeEach(() => sim.setRps(0));

  it('errorRate 1 turns every API answer into a 5xx; 0.5 into roughly half', async () => {
    sim.setRps(0);
    sim.setFaults({ errorRate: 1 });
    const all = await Promise.all(Array.from({ length: 10 }, () => get(sim, '/api/v4/leads')));
    expect(all.every((a) => [500, 502, 504].includes(a.status))).toBe(true);
    sim.setFaults({ errorRate: 0.5 });
    const half = await Promise.all(Array.from({ length: 200 }, () => get(sim, '/api/v4/account')));
    const failed = half.filter((a) => a.status >= 500).length;
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
  });

  it('ignoreFilters: an account without API filtering answers unfiltered lists', async () => {
    const all = await get(sim, '/api/v4/leads?limit=250');
    const one = all.json._embedded.leads[0].id;
    expect((await get(sim, `/api/v4/leads?filter[id]=${one}&limit=250`)).json._embedded.leads).toHaveLength(1);
    sim.setFaults({ ignoreFilters: true });
    const ignored = await get(sim, `/api/v4/leads?filter[id]=${one}&limit=250`);
    expect(ignored.json._embedded.leads).toEqual(all.json._embedded.leads);
  });

  it('adds latency', async () => {
    sim.setFaults({ latencyMs: 250 });
    const t0 = Date.now();
    expect((await get(sim, '/api/v4/account')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
  });

  it('malforms the answers of one path: invalid JSON or a wrong-typed field', async () => {
    sim.setFaults({ malformedPath: '/api/v4/leads' });
    const broken = await get(sim, '/api/v4/leads?limit=5');
    expect(broken.status).toBe(200);
    expect(() => JSON.parse(broken.text)).toThrow();
    expect((await get(sim, '/api/v4/tasks?limit=5')).json._embedded.tasks).toHaveLength(5);

    sim.setFaults({ malformedPath: '/api/v4/leads', malformedKind: 'type' });
    const typed = await get(sim, '/api/v4/leads?limit=5');
    expect(typeof typed.json._embedded.leads[0].updated_at).toBe('string');
    expect(typeof typed.json._embedded.leads[1].updated_at).toBe('number');
  });
});
