import { DateTime } from 'luxon';
import { pgp } from '../../src/db/pgp';
import { snapshotDay } from '../../src/kpi/snapshot';
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

  it('on start, after its first sync, stores the days missed while it was down as reconstructed; a complete frozen day stays', async () => {
    const zone = 'Europe/Moscow';
    const today = DateTime.now().setZone(zone).startOf('day');
    const d = (n: number) => today.minus({ days: n }).toISODate()!;
    const at = (now: string) => testConfig({ AMOKPI_TIMEZONE: zone, AMOKPI_NOW: now });
    // Down since yesterday afternoon: an on-demand snapshot froze yesterday at 15:00, the 00:05 job never ran;
    // three days ago is missing altogether; the day before yesterday was frozen by its end-of-day job.
    await t.db.none('DELETE FROM kpi.snapshot_days WHERE day = ANY($1::date[])', [[d(1), d(2), d(3)]]);
    expect(await snapshotDay(t.db, at(`${d(1)}T15:00:00+03:00`), d(1))).toMatchObject({ source: 'snapshot', asOf: `${d(1)}T15:00:00+03:00` });
    expect(await snapshotDay(t.db, at(`${d(1)}T00:05:00+03:00`), d(2))).toMatchObject({ source: 'snapshot', asOf: `${d(1)}T00:00:00+03:00` });
    const frozenAt = await t.db.one("SELECT taken_at FROM kpi.snapshot_days WHERE day = $1 AND pipeline_id = 0", [d(2)]);

    const w = startWorker({ config, db: t.db, api });
    await w.started;
    await w.stop();
    const rows = await t.db.map(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, source, as_of, taken_at FROM kpi.snapshot_days WHERE pipeline_id = 0 AND day = ANY($1::date[]) ORDER BY day`,
      [[d(1), d(2), d(3)]],
      (r) => ({ day: r.day, source: r.source, asOf: r.as_of.getTime(), takenAt: r.taken_at.getTime() }),
    );
    const endOf = (n: number) => today.minus({ days: n - 1 }).toMillis();
    expect(rows.map(({ day, source, asOf }) => ({ day, source, asOf }))).toEqual([
      { day: d(3), source: 'reconstructed', asOf: endOf(3) },
      { day: d(2), source: 'snapshot', asOf: endOf(2) },
      { day: d(1), source: 'reconstructed', asOf: endOf(1) },
    ]);
    expect(rows[1]!.takenAt).toBe(frozenAt.taken_at.getTime());
    const tasks = await t.db.one('SELECT count(*)::int AS n FROM kpi.snapshot_managers WHERE day = $1 AND open_tasks IS NOT NULL', [d(1)]);
    expect(tasks.n).toBe(0);
  });
});
