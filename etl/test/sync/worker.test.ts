import { pgp } from '../../src/db/pgp';
import type { Simulator } from '../../src/simulator';
import type { AmoClient } from '../../src/amocrm/client';
import { startWorker } from '../../src/sync/worker';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { actualTables, clientFor, dropQuietly, expectedTables, startSim, testConfig } from './support';
import { closePool } from '../../src/db/close';

describe('the worker', () => {
  let t: TestDatabase;
  let sim: Simulator;
  let api: AmoClient;
  const config = testConfig({ AMOKPI_TIMEZONE: 'Europe/Moscow' });

  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSim({ size: { managers: 4, leads: 400, months: 3 } });
    api = clientFor(sim);
  });
  afterAll(async () => {
    await api.close();
    await sim.close();
    await dropQuietly(t);
  });

  it('two workers on one database never sync at once: the second skips', async () => {
    const other = pgp({ connectionString: t.url, max: 3, application_name: 'second-worker' });
    const a = startWorker({ config, db: t.db, api, syncOnStart: false });
    const b = startWorker({ config, db: other, api, syncOnStart: false });
    try {
      const [ra, rb] = await Promise.all([a.runNow('incremental'), b.runNow('incremental')]);
      const outcomes = [ra, rb].map((r) => (Array.isArray(r) ? 'ran' : r)).sort();
      expect(outcomes).toEqual(['busy', 'ran']);
      const runs = await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM app.sync_runs');
      expect(runs.n).toBe(9);
      // In-process, a tick while a run is going is skipped too.
      const slow = a.runNow('incremental');
      expect(await a.runNow('incremental')).toBe('overlap');
      await slow;
    } finally {
      await a.stop();
      await b.stop();
      await closePool(other);
    }
  });

  it('stop() during a full sync finishes the current page, commits and returns within seconds; the next run converges', async () => {
    sim.setFaults({ latencyMs: 40 });
    const w = startWorker({ config, db: t.db, api, syncOnStart: false });
    const run = w.runNow('full');
    await new Promise((r) => setTimeout(r, 400));
    const t0 = Date.now();
    await w.stop();
    const stopMs = Date.now() - t0;
    sim.setFaults({});
    const outcome = await run;
    expect(stopMs).toBeLessThan(3000);
    expect(Array.isArray(outcome)).toBe(true);
    const errors = (outcome as Array<{ error?: string }>).map((r) => r.error ?? 'ok');
    expect(errors.some((e) => /abort/.test(e))).toBe(true);
    const unfinished = await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM app.sync_runs WHERE finished_at IS NULL');
    expect(unfinished.n).toBe(0);

    const again = startWorker({ config, db: t.db, api, syncOnStart: false });
    const results = await again.runNow('incremental');
    await again.stop();
    expect(Array.isArray(results) && results.every((r) => !r.error)).toBe(true);
    const want = expectedTables(sim.dataset());
    const got = await actualTables(t.db);
    expect(got.leads).toEqual(want.leads);
    expect(got.events).toEqual(want.events);
  });

  it('the end-of-day hook syncs and freezes the day that just ended in the account zone', async () => {
    const w = startWorker({ config, db: t.db, api, syncOnStart: false });
    await w.endOfDay();
    await w.stop();
    const day = await t.db.oneOrNone<{ day: string }>("SELECT to_char(day, 'YYYY-MM-DD') AS day FROM kpi.snapshot_days WHERE pipeline_id = 0 ORDER BY day DESC LIMIT 1");
    const yesterday = new Date(Date.now() + 3 * 3600_000 - 86400_000).toISOString().slice(0, 10);
    expect(day?.day).toBe(yesterday);
  });
});
