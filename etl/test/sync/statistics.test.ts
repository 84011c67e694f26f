import { runSync } from '../../src/sync/engine';
import { analyzeGrownTables } from '../../src/sync/statistics';
import type { Simulator } from '../../src/simulator';
import type { AmoClient } from '../../src/amocrm/client';
import { pgp, type Db } from '../../src/db';
import { closePool } from '../../src/db/close';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { clientFor, dropQuietly, startSim, testConfig } from './support';

/**
 * A new install's first sync fills empty tables faster than autovacuum analyzes them, and the plans Postgres
 * makes from the statistics of empty tables walk every open or won lead for each statement the triggers refresh.
 * The engine analyzes what it has outgrown. Autovacuum is off for every table here, so any ANALYZE is the engine's.
 */
describe('the sync keeps the statistics of the tables it fills', () => {
  let t: TestDatabase;
  let sim: Simulator;
  let api: AmoClient;

  beforeAll(async () => {
    t = await createTestDatabase();
    const tables = await t.db.map(`SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname IN ('amo', 'kpi')`, [], (r: { name: string }) => r.name);
    for (const table of tables) await t.db.none(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    sim = await startSim({ size: { managers: 8, leads: 6000, months: 6 } });
    api = clientFor(sim);
  });
  afterAll(async () => {
    await api.close();
    await sim.close();
    await dropQuietly(t);
  });

  /**
   * Rows read from the tables of amo and kpi through scans of the table or of an index, as counted by this session
   * and not yet flushed to the shared statistics (more than the current transaction: take differences).
   */
  const rowsRead = (tx: Pick<Db, 'one'>) =>
    tx.one(`SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)::int AS n FROM pg_stat_xact_user_tables WHERE schemaname IN ('amo', 'kpi')`, [], (r: { n: number }) => r.n);

  it('after a full sync the lead refreshes read about the leads they are given, not every open or won lead', async () => {
    const results = await runSync({ db: t.db, config: testConfig(), api, mode: 'full' });
    expect(results.filter((r) => r.error)).toEqual([]);
    const sizes = await t.db.one(`SELECT (SELECT count(*) FROM amo.leads)::int AS leads, (SELECT count(*) FROM kpi.open_deals)::int AS open,
                                         (SELECT count(*) FROM kpi.won_deals)::int AS won`);
    expect(sizes.open).toBeGreaterThan(300);
    expect(sizes.won).toBeGreaterThan(300);
    // Every table that grew past 2 000 rows was analyzed while it grew, by the engine.
    const unanalyzed = await t.db.map(
      `SELECT relname FROM pg_stat_user_tables WHERE schemaname IN ('amo', 'kpi') AND n_live_tup > 2000 AND analyze_count = 0 ORDER BY relname`,
      [],
      (r: { relname: string }) => r.relname,
    );
    expect(unanalyzed).toEqual([]);
    const grown = await t.db.map(`SELECT relname FROM pg_stat_user_tables WHERE schemaname IN ('amo', 'kpi') AND n_live_tup > 2000 ORDER BY relname`, [], (r: { relname: string }) => r.relname);
    expect(grown).toEqual(expect.arrayContaining(['events', 'lead_status_last', 'leads']));

    const some = await t.db.map('SELECT id FROM amo.leads ORDER BY id LIMIT 10 OFFSET 1000', [], (r: { id: string }) => Number(r.id));
    const reads: Array<[string, number]> = [];
    for (const fn of ['kpi.refresh_open_deals', 'kpi.refresh_won_deals']) {
      const read = await t.db.tx(async (tx) => {
        const before = await rowsRead(tx);
        await tx.any(`SELECT ${fn}($1::bigint[])`, [some]);
        return (await rowsRead(tx)) - before;
      });
      reads.push([fn, read]);
    }
    // Each lead is a few index probes (its row, its summary, its stage, its kept row). Planned from the statistics
    // of empty tables (no ANALYZE by the engine), each call read ~1 300.
    expect(reads.filter(([, read]) => read >= some.length * 10)).toEqual([]);
  });

  it('analyzes a table once it is twice the size of its statistics, as often as it doubles, if this role owns it', async () => {
    await t.db.none('CREATE TABLE amo.scratch (id int PRIMARY KEY, pad text)');
    const rows = (from: number, to: number) => t.db.none(`INSERT INTO amo.scratch SELECT i, repeat('x', 100) FROM generate_series($1::int, $2::int) i`, [from, to]);
    const reltuples = () => t.db.one(`SELECT reltuples::int AS n FROM pg_class WHERE oid = 'amo.scratch'::regclass`, [], (r: { n: number }) => r.n);
    await rows(1, 500); // 9 pages: below the 16 a table needs before it counts
    expect(await analyzeGrownTables(t.db)).not.toContain('amo.scratch');
    await rows(501, 2000);
    expect(await analyzeGrownTables(t.db)).toContain('amo.scratch');
    expect(await reltuples()).toBe(2000);
    await rows(2001, 3500); // 1.75x: not yet
    expect(await analyzeGrownTables(t.db)).not.toContain('amo.scratch');
    await rows(3501, 4500);
    expect(await analyzeGrownTables(t.db)).toContain('amo.scratch');
    expect(await reltuples()).toBe(4500);
    // A role that does not own it cannot analyze it (Postgres would skip it with a warning on every batch): it is
    // left to autovacuum.
    await rows(4501, 20000);
    await t.db.none(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'amokpi_not_owner') THEN CREATE ROLE amokpi_not_owner LOGIN; END IF; END $$`);
    await t.db.none('GRANT USAGE ON SCHEMA amo, kpi TO amokpi_not_owner');
    const url = new URL(t.url);
    url.username = 'amokpi_not_owner';
    const other = pgp({ connectionString: url.toString(), max: 1 });
    try {
      expect(await analyzeGrownTables(other)).not.toContain('amo.scratch');
    } finally {
      await closePool(other);
    }
    expect(await analyzeGrownTables(t.db)).toContain('amo.scratch');
    await t.db.none('DROP TABLE amo.scratch');
  });
});
