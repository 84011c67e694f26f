import { DateTime } from 'luxon';
import { loadConfig } from '../../src/config';
import { createAmoClient } from '../../src/amocrm/client';
import { longLivedAuth } from '../../src/amocrm/auth';
import { runSync } from '../../src/sync/engine';
import { backfillLoadedHistory, snapshotDay } from '../../src/kpi/snapshot';
import { startSimulator, type Simulator } from '../../src/simulator';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('a full sync back-fills reconstructed history for the months it loaded', () => {
  let t: TestDatabase;
  let sim: Simulator;
  const NOW = '2026-11-15T12:00:00+03:00';

  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSimulator({ seed: 7, size: { leads: 150, months: 2, managers: 3 }, rps: 0, now: NOW, timezone: 'Europe/Moscow' });
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it('stores every past day from the oldest lead\'s month to yesterday once, marked reconstructed', async () => {
    const config = loadConfig({ AMOCRM_BASE_URL: sim.url, AMOCRM_ACCESS_TOKEN: 'sim-token', AMOKPI_NOW: NOW, LOG_LEVEL: 'silent' });
    const api = createAmoClient({ baseUrl: sim.url, auth: longLivedAuth('sim-token'), rps: 0 });
    const results = await runSync({ db: t.db, config, api, mode: 'full' });
    await api.close();
    expect(results.filter((r) => r.error)).toEqual([]);

    const oldest = await t.db.one<{ m: string }>(
      "SELECT to_char(date_trunc('month', min(created_at) AT TIME ZONE 'Europe/Moscow'), 'YYYY-MM-DD') AS m FROM amo.leads WHERE deleted_at IS NULL",
    );
    const expectedDays = DateTime.fromISO('2026-11-14').diff(DateTime.fromISO(oldest.m), 'days').days + 1;

    const first = await backfillLoadedHistory(t.db, config);
    expect(first).toEqual({ from: oldest.m, to: '2026-11-14', days: expectedDays });
    const stored = await t.db.one(
      `SELECT count(*)::int AS n, min(day)::text AS lo, max(day)::text AS hi,
              count(*) FILTER (WHERE source = 'reconstructed')::int AS reconstructed
         FROM kpi.snapshot_days WHERE pipeline_id = 0`,
    );
    // Every day is reconstructed, yesterday too: at 12:00 the tasks as they stood when yesterday ended are gone,
    // and only the end-of-day job (or an explicit snapshot) freezes a day with its tasks.
    expect(stored).toEqual({ n: expectedDays, lo: oldest.m, hi: '2026-11-14', reconstructed: expectedDays });
    const tasks = await t.db.one("SELECT count(*)::int AS n FROM kpi.snapshot_managers WHERE open_tasks IS NOT NULL OR overdue_tasks IS NOT NULL OR leads_without_tasks IS NOT NULL");
    expect(tasks.n).toBe(0);

    // A second full sync stores nothing new for days it already has.
    expect((await backfillLoadedHistory(t.db, config))!.days).toBe(0);

    // The end-of-day job may still freeze yesterday over its reconstructed row; later back-fills leave it frozen.
    const frozen = await snapshotDay(t.db, config, '2026-11-14');
    expect(frozen).toMatchObject({ date: '2026-11-14', source: 'snapshot', asOf: '2026-11-15T00:00:00+03:00', kept: false });
    expect((await backfillLoadedHistory(t.db, config))!.days).toBe(0);
    const yesterday = await t.db.one("SELECT source FROM kpi.snapshot_days WHERE pipeline_id = 0 AND day = '2026-11-14'");
    expect(yesterday.source).toBe('snapshot');
  });
});
