import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Db } from '../../src/db';
import { snapshotDay } from '../../src/kpi/snapshot';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ANNA, BORIS, PARTNERS, SALES, leadWriters, testConfig, type Stage } from './fixture';
import { ignoreTeardownErrors, serve } from './http';

/**
 * Win time (KPI.md): the last transition into 142, else closed_at. A won lead moved to another pipeline while
 * staying won is one event (A,142) -> (B,142): not a transition into 142, so not a new win. A small account of its
 * own (Europe/Moscow, now frozen at 2026-11-27 15:00 Moscow like the main fixture), figures worked out by hand.
 */


/**
 * L21 Anna 100000: won Oct 15 in Sales, moved Nov 5 to Partners still won           -> October, never November.
 * L22 Boris 70000: won Sep 20, reopened Sep 25, re-won Oct 28, moved Nov 3 still won -> October (Oct 28).
 * L23 Anna 40000: closed Oct 20; its only event is the move (S,142) -> (P,142) Nov 4 -> closed_at: October.
 * L24 Boris 30000: created Nov 1, closed Nov 2; only event the move Nov 6            -> closed_at: November.
 * L25 Boris 20000: won Nov 10 in Sales (an ordinary win)                              -> November.
 * L26 Anna 15000: active in Negotiation since Oct 1, no events.
 * Plans: October Anna 100000; November Anna 100000, Boris 100000.
 */
async function seedMoves(db: Db): Promise<void> {
  await db.none(`INSERT INTO amo.account (id, name, currency, timezone, raw) VALUES (1, 'Acme', 'RUB', 'Europe/Moscow', '{}')`);
  await db.none(`INSERT INTO amo.users (id, name, is_active, raw) VALUES (101, 'Anna', true, '{}'), (102, 'Boris', true, '{}')`);
  await db.none(`INSERT INTO amo.pipelines (id, name, sort, is_main) VALUES (10, 'Sales', 1, true), (20, 'Partners', 2, false)`);
  await db.none(`INSERT INTO amo.statuses (pipeline_id, id, name, sort, type) VALUES
    (10, 1001, 'Incoming', 10, 1), (10, 1002, 'New', 20, 0), (10, 1003, 'Negotiation', 30, 0), (10, 142, 'Won', 10000, 0), (10, 143, 'Lost', 11000, 0),
    (20, 2001, 'Incoming', 10, 1), (20, 2002, 'Qualify', 20, 0), (20, 142, 'Won', 10000, 0), (20, 143, 'Lost', 11000, 0)`);
  const { lead, move } = leadWriters(db);
  await lead(21, ANNA, 100000, [PARTNERS, 142], '2026-10-01T10:00:00+03:00', { closed: '2026-10-15T10:00:00+03:00' });
  await move(21, '2026-10-15T10:00:00+03:00', [SALES, 1002], [SALES, 142]);
  await move(21, '2026-11-05T10:00:00+03:00', [SALES, 142], [PARTNERS, 142]);
  await lead(22, BORIS, 70000, [PARTNERS, 142], '2026-09-01T10:00:00+03:00', { closed: '2026-10-28T10:00:00+03:00' });
  await move(22, '2026-09-20T10:00:00+03:00', [SALES, 1003], [SALES, 142]);
  await move(22, '2026-09-25T10:00:00+03:00', [SALES, 142], [SALES, 1003]);
  await move(22, '2026-10-28T10:00:00+03:00', [SALES, 1003], [SALES, 142]);
  await move(22, '2026-11-03T10:00:00+03:00', [SALES, 142], [PARTNERS, 142]);
  await lead(23, ANNA, 40000, [PARTNERS, 142], '2026-10-10T10:00:00+03:00', { closed: '2026-10-20T10:00:00+03:00' });
  await move(23, '2026-11-04T10:00:00+03:00', [SALES, 142], [PARTNERS, 142]);
  await lead(24, BORIS, 30000, [PARTNERS, 142], '2026-11-01T10:00:00+03:00', { closed: '2026-11-02T10:00:00+03:00' });
  await move(24, '2026-11-06T10:00:00+03:00', [SALES, 142], [PARTNERS, 142]);
  await lead(25, BORIS, 20000, [SALES, 142], '2026-10-20T10:00:00+03:00', { closed: '2026-11-10T10:00:00+03:00' });
  await move(25, '2026-11-10T10:00:00+03:00', [SALES, 1003], [SALES, 142]);
  await lead(26, ANNA, 15000, [SALES, 1003], '2026-10-01T10:00:00+03:00');
  await db.none(`INSERT INTO app.plans (month, manager_id, amount) VALUES ('2026-10-01', 101, 100000), ('2026-11-01', 101, 100000), ('2026-11-01', 102, 100000)`);
}

const summaryOf = (db: Db) =>
  db.any('SELECT lead_id, last_at, last_id, pipeline_id, status_id, won_at FROM kpi.lead_status_last ORDER BY lead_id');
const wonAtOf = async (db: Db) => Object.fromEntries((await summaryOf(db)).map((r) => [r.lead_id, r.won_at]));
const at = (iso: string) => new Date(iso);

/** The corrected summary: a move between pipelines that stays won is no win; null = no transition into 142. */
const CORRECT_WON_AT = {
  21: at('2026-10-15T10:00:00+03:00'),
  22: at('2026-10-28T10:00:00+03:00'),
  23: null,
  24: null,
  25: at('2026-11-10T10:00:00+03:00'),
};

describe('win time: a won deal moved to another pipeline is not won again', () => {
  let t: TestDatabase;
  let api: Awaited<ReturnType<typeof serve>>;
  const config = testConfig();
  beforeAll(async () => {
    t = await createTestDatabase();
    ignoreTeardownErrors(t.db);
    await seedMoves(t.db);
    api = await serve(config, t.db);
  });
  afterAll(async () => {
    await api?.server.close();
    await t?.drop();
  });
  const row = (board: any, id: number) => board.rows.find((r: any) => r.managerId === id);

  it('the per-lead summary keeps the last real transition into 142 (null when there is none)', async () => {
    expect(await wonAtOf(t.db)).toEqual(CORRECT_WON_AT);
  });

  it('October (board for Oct 31, reconstructed) counts the deals won in October, moved or not', async () => {
    const r = await api.get('/api/v1/kpi/managers?date=2026-10-31');
    expect(r.json).toMatchObject({ asOf: '2026-11-01T00:00:00+03:00', source: 'reconstructed' });
    expect(r.json.rows).toEqual([
      // L21 100000 (Oct 15) + L23 40000 (closed_at Oct 20): 140000 of a 100000 plan.
      { managerId: ANNA, managerName: 'Anna', planAmount: 100000, wonAmount: 140000, wonCount: 2, completionPct: 140, band: 'green',
        planRemainder: 0, openTasks: null, overdueTasks: null, leadsWithoutTasks: null },
      // L22 70000, re-won Oct 28 (its Sep 20 win was reopened on Sep 25).
      { managerId: BORIS, managerName: 'Boris', planAmount: null, wonAmount: 70000, wonCount: 1, completionPct: null, band: null,
        planRemainder: null, openTasks: null, overdueTasks: null, leadsWithoutTasks: null },
    ]);
  });

  it('November (the live board of Nov 27) does not count them again', async () => {
    const r = await api.get('/api/v1/kpi/managers');
    expect(r.json).toMatchObject({ date: '2026-11-27', source: 'live' });
    expect(r.json.rows).toEqual([
      // L21, L23 were won in October; L26 is a lead without tasks.
      { managerId: ANNA, managerName: 'Anna', planAmount: 100000, wonAmount: 0, wonCount: 0, completionPct: 0, band: 'red',
        planRemainder: 100000, openTasks: 0, overdueTasks: 0, leadsWithoutTasks: 1 },
      // L24 30000 (closed_at Nov 2; its only event is the move) + L25 20000 (Nov 10); L22 is October's.
      { managerId: BORIS, managerName: 'Boris', planAmount: 100000, wonAmount: 50000, wonCount: 2, completionPct: 50, band: 'red',
        planRemainder: 50000, openTasks: 0, overdueTasks: 0, leadsWithoutTasks: 0 },
    ]);
  });

  it('reconstructed November days after the moves do not count them either (history and summary paths)', async () => {
    // Nov 9: L25's win (Nov 10) lies after its end, so the figures are read from the status history.
    const r = await api.get('/api/v1/kpi/managers?date=2026-11-09');
    expect(r.json).toMatchObject({ asOf: '2026-11-10T00:00:00+03:00', source: 'reconstructed' });
    expect(r.json.rows.map((x: any) => [x.managerId, x.wonAmount, x.wonCount])).toEqual([
      [ANNA, 0, 0],
      [BORIS, 30000, 1], // L24 (closed_at Nov 2); L25 still in Negotiation
    ]);
    // Nov 10: no status event after its end, so the per-lead summary answers.
    const r10 = await api.get('/api/v1/kpi/managers?date=2026-11-10');
    expect(r10.json).toMatchObject({ asOf: '2026-11-11T00:00:00+03:00', source: 'reconstructed' });
    expect(r10.json.rows.map((x: any) => [x.managerId, x.wonAmount, x.wonCount])).toEqual([
      [ANNA, 0, 0],
      [BORIS, 50000, 2], // L24 30000 + L25 20000
    ]);
  });

  it('department for October: the three October wins, against Sep 30', async () => {
    const r = await api.get('/api/v1/kpi/department?date=2026-10-31');
    expect(r.json.current).toEqual({
      date: '2026-10-31', asOf: '2026-11-01T00:00:00+03:00', source: 'reconstructed',
      // L21 100000 + L22 70000 + L23 40000
      wonAmount: 210000, wonCount: 3, avgWonAmount: 70000,
      // L25 20000 (Negotiation until Nov 10) + L26 15000; L24 did not exist yet.
      inProgressAmount: 35000, inProgressCount: 2,
      planAmount: 100000, planRemainder: 0,
    });
    expect(r.json.previous).toEqual({
      date: '2026-09-30', asOf: '2026-10-01T00:00:00+03:00', source: 'reconstructed',
      // L22 was reopened on Sep 25; every other lead was created in October or later.
      wonAmount: 0, wonCount: 0, avgWonAmount: null,
      inProgressAmount: 70000, inProgressCount: 1,
      planAmount: null, planRemainder: null,
    });
    // At Oct 31 all three were still in Sales.
    const sales = await api.get(`/api/v1/kpi/department?date=2026-10-31&pipelineId=${SALES}`);
    expect(sales.json.current).toMatchObject({ wonAmount: 210000, wonCount: 3 });
    const partners = await api.get(`/api/v1/kpi/department?date=2026-10-31&pipelineId=${PARTNERS}`);
    expect(partners.json.current).toMatchObject({ wonAmount: 0, wonCount: 0 });
  });

  it('department for November (today) against Oct 27: no deal in both', async () => {
    const r = await api.get('/api/v1/kpi/department');
    expect(r.json.current).toEqual({
      date: '2026-11-27', asOf: '2026-11-27T15:00:00+03:00', source: 'live',
      // L24 30000 + L25 20000
      wonAmount: 50000, wonCount: 2, avgWonAmount: 25000,
      inProgressAmount: 15000, inProgressCount: 1, // L26
      planAmount: 200000, planRemainder: 150000,
    });
    expect(r.json.previous).toEqual({
      date: '2026-10-27', asOf: '2026-10-28T00:00:00+03:00', source: 'reconstructed',
      // L21 100000 (Oct 15) + L23 40000 (closed_at Oct 20); L22's re-win is on Oct 28 10:00, after the 28th began.
      wonAmount: 140000, wonCount: 2, avgWonAmount: 70000,
      // L22 70000 (Negotiation since Sep 25) + L25 20000 + L26 15000
      inProgressAmount: 105000, inProgressCount: 3,
      planAmount: 100000, planRemainder: 0,
    });
    // L24 is won in Partners (its stage now), L25 in Sales.
    const partners = await api.get(`/api/v1/kpi/department?pipelineId=${PARTNERS}`);
    expect(partners.json.current).toMatchObject({ wonAmount: 30000, wonCount: 1 });
    const sales = await api.get(`/api/v1/kpi/department?pipelineId=${SALES}`);
    expect(sales.json.current).toMatchObject({ wonAmount: 20000, wonCount: 1 });
  });

  it.each([
    ['2026-11-01T00:00:00+03:00', '2026-11-27T15:00:00+03:00'],
    ['2026-11-01T00:00:00+03:00', '2026-12-01T00:00:00+03:00'],
    ['2026-11-01T00:00:00+03:00', '2026-11-10T00:00:00+03:00'],
    ['2026-10-01T00:00:00+03:00', '2026-11-01T00:00:00+03:00'],
    ['2026-10-01T00:00:00+03:00', '2026-12-01T00:00:00+03:00'],
  ])('wins from the summary equal wins read from the history (%s .. %s)', async (from, to) => {
    for (const pipeline of [null, SALES, PARTNERS]) {
      const q = (fn: string) => t.db.any(`SELECT * FROM ${fn}($1, $2, $3) ORDER BY lead_id`, [from, to, pipeline]);
      expect(await q('kpi.won_leads')).toEqual(await q('kpi.won_leads_by_history'));
    }
    // Oct 1 .. Dec 1 on the summary (nothing after Dec 1): every win once, at its win time.
    if (to.startsWith('2026-12') && from.startsWith('2026-10')) {
      const rows = await t.db.any('SELECT lead_id, pipeline_id, won_at FROM kpi.won_leads($1, $2) ORDER BY lead_id', [from, to]);
      expect(rows).toEqual([
        { lead_id: 21, pipeline_id: PARTNERS, won_at: at('2026-10-15T10:00:00+03:00') },
        { lead_id: 22, pipeline_id: PARTNERS, won_at: at('2026-10-28T10:00:00+03:00') },
        { lead_id: 23, pipeline_id: PARTNERS, won_at: at('2026-10-20T10:00:00+03:00') },
        { lead_id: 24, pipeline_id: PARTNERS, won_at: at('2026-11-02T10:00:00+03:00') },
        { lead_id: 25, pipeline_id: SALES, won_at: at('2026-11-10T10:00:00+03:00') },
      ]);
    }
  });

  it('snapshots freeze the same figures', async () => {
    await snapshotDay(t.db, config, '2026-10-31');
    await snapshotDay(t.db, config, '2026-11-26');
    const oct = await api.get('/api/v1/kpi/managers?date=2026-10-31');
    expect(oct.json.source).toBe('reconstructed');
    expect(oct.json.rows.map((x: any) => [x.managerId, x.wonAmount, x.wonCount])).toEqual([[ANNA, 140000, 2], [BORIS, 70000, 1]]);
    const nov = await api.get('/api/v1/kpi/managers?date=2026-11-26');
    expect(nov.json.source).toBe('snapshot');
    expect(nov.json.rows.map((x: any) => [x.managerId, x.wonAmount, x.wonCount])).toEqual([[ANNA, 0, 0], [BORIS, 50000, 2]]);
  });

  it('the statement-level trigger keeps the summary equal to a rebuild when moves arrive in batches', async () => {
    const rebuilt = async () => {
      await t.db.one('SELECT kpi.rebuild_lead_status_last()');
      return summaryOf(t.db);
    };
    const ev = (id: string, lead: number, iso: string, [bp, bs]: Stage, [ap, as]: Stage) =>
      `('${id}', 'lead_status_changed', ${lead}, 'lead', '${iso}', '[{"lead_status":{"id":${bs},"pipeline_id":${bp}}}]', '[{"lead_status":{"id":${as},"pipeline_id":${ap}}}]')`;
    const upsert = (rows: string[]) =>
      t.db.none(`INSERT INTO amo.events (id, type, entity_id, entity_type, created_at, value_before, value_after) VALUES ${rows.join(', ')}
                 ON CONFLICT (id) DO UPDATE SET created_at = EXCLUDED.created_at, value_before = EXCLUDED.value_before, value_after = EXCLUDED.value_after`);
    // One statement: a new lead won, moved while won and moved back, out of order; L25 moved while won.
    await upsert([
      ev('w3', 27, '2026-11-21T10:00:00Z', [PARTNERS, 142], [SALES, 142]),
      ev('w1', 27, '2026-11-19T10:00:00Z', [SALES, 1003], [SALES, 142]),
      ev('w2', 27, '2026-11-20T10:00:00Z', [SALES, 142], [PARTNERS, 142]),
      ev('w4', 25, '2026-11-22T10:00:00Z', [SALES, 142], [PARTNERS, 142]),
    ]);
    let s = await summaryOf(t.db);
    expect(s.find((r) => r.lead_id === 27)).toMatchObject({ last_id: 'w3', pipeline_id: SALES, status_id: 142, won_at: at('2026-11-19T10:00:00Z') });
    expect(s.find((r) => r.lead_id === 25)).toMatchObject({ last_id: 'w4', pipeline_id: PARTNERS, won_at: at('2026-11-10T10:00:00+03:00') });
    expect(await rebuilt()).toEqual(s);
    // A later batch brings only a move for L21: its win stays Oct 15.
    await upsert([ev('w5', 21, '2026-11-23T10:00:00Z', [PARTNERS, 142], [SALES, 142])]);
    expect((await summaryOf(t.db)).find((r) => r.lead_id === 21)).toMatchObject({ last_id: 'w5', pipeline_id: SALES, won_at: at('2026-10-15T10:00:00+03:00') });
    // Rewriting w1 into a move as well leaves lead 27 without any transition into 142.
    await upsert([ev('w1', 27, '2026-11-19T10:00:00Z', [SALES, 142], [SALES, 142])]);
    s = await summaryOf(t.db);
    expect(s.find((r) => r.lead_id === 27)!.won_at).toBeNull();
    expect(await rebuilt()).toEqual(s);
    await t.db.none(`DELETE FROM amo.events WHERE id IN ('w1', 'w2', 'w3', 'w4', 'w5')`);
    s = await summaryOf(t.db);
    expect(s.find((r) => r.lead_id === 27)).toBeUndefined();
    expect(await wonAtOf(t.db)).toEqual(CORRECT_WON_AT);
    expect(await rebuilt()).toEqual(s);
  });
});

describe('migration 0012 on an existing database', () => {
  const run = promisify(execFile);
  const etl = path.resolve(__dirname, '../..');
  const cli = path.join(etl, 'bin/amokpi.js');
  const files = fs.readdirSync(path.join(etl, 'migrations')).filter((f) => /\.(sql|ts|js)$/.test(f)).sort();
  const mine = files.findIndex((f) => f.startsWith('0012_'));
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ empty: true });
    ignoreTeardownErrors(t.db);
  });
  afterAll(() => t?.drop());

  it('recomputes the summary of leads moved while won, equal to a rebuild, and the board follows', async () => {
    expect(mine).toBeGreaterThan(0);
    // The database as it stood before 0012 (node-pg-migrate is ESM-only: a child process runs it), with data.
    const script = `const { runner } = await import('node-pg-migrate');
      await runner({ databaseUrl: process.env.DATABASE_URL, dir: 'migrations', direction: 'up', migrationsTable: 'pgmigrations',
                     migrationsSchema: 'public', checkOrder: true, count: ${mine}, log: () => {} });`;
    await run(process.execPath, ['--input-type=module', '-e', script], { cwd: etl, env: { ...process.env, DATABASE_URL: t.url } });
    expect((await t.db.one('SELECT count(*)::int AS n FROM pgmigrations')).n).toBe(mine);
    await seedMoves(t.db);
    // The old definition: every event into 142 was a win, moves included.
    expect(await wonAtOf(t.db)).toEqual({
      21: at('2026-11-05T10:00:00+03:00'),
      22: at('2026-11-03T10:00:00+03:00'),
      23: at('2026-11-04T10:00:00+03:00'),
      24: at('2026-11-06T10:00:00+03:00'),
      25: at('2026-11-10T10:00:00+03:00'),
    });
    const lastBefore = (await summaryOf(t.db)).map(({ won_at: _w, ...rest }) => rest);
    // Reconstructed days stored with the old definition: Nov 10 counted the moves (Anna L21 + L23, Boris L22 + L24
    // + L25); Oct 31 and Nov 2 end before the first move (L22's, Nov 3 10:00) and were right.
    const config = testConfig();
    for (const day of ['2026-10-31', '2026-11-02', '2026-11-10']) await snapshotDay(t.db, config, day);
    const stored = () =>
      t.db.map(`SELECT to_char(day, 'YYYY-MM-DD') AS d FROM kpi.snapshot_days WHERE pipeline_id = 0 AND source = 'reconstructed' ORDER BY day`, [], (r) => r.d);
    expect(await stored()).toEqual(['2026-10-31', '2026-11-02', '2026-11-10']);
    const nov10 = () =>
      t.db.map('SELECT manager_id, won_amount, won_count FROM kpi.snapshot_managers WHERE day = $1 AND pipeline_id = 0 ORDER BY manager_id',
        ['2026-11-10'], (r) => [Number(r.manager_id), Number(r.won_amount), r.won_count]);
    expect(await nov10()).toEqual([[ANNA, 140000, 2], [BORIS, 120000, 3]]);

    const out = await run(process.execPath, [cli, 'migrate'], { env: { ...process.env, DATABASE_URL: t.url, LOG_LEVEL: 'warn' } });
    expect(out.stdout).toMatch(/^applied \d+ migration\(s\): 0012_win_time_pipeline_moves\b/);
    const after = await summaryOf(t.db);
    expect(await wonAtOf(t.db)).toEqual(CORRECT_WON_AT);
    // Only won_at changed; the rest of each row is as the triggers kept it, and all of it equals a rebuild.
    expect(after.map(({ won_at: _w, ...rest }) => rest)).toEqual(lastBefore);
    await t.db.one('SELECT kpi.rebuild_lead_status_last()');
    expect(await summaryOf(t.db)).toEqual(after);

    // The stored Nov 10 went (recomputed from the history until the next back-fill stores it again); the others stay.
    expect(await stored()).toEqual(['2026-10-31', '2026-11-02']);
    expect(await nov10()).toEqual([]);

    // The boards of this database: Boris's L24 + L25 for November, today and on Nov 10; October unchanged.
    const api = await serve(config, t.db);
    try {
      const won = async (q: string) => (await api.get(`/api/v1/kpi/managers${q}`)).json.rows.map((x: any) => [x.managerId, x.wonAmount, x.wonCount]);
      expect(await won('')).toEqual([[ANNA, 0, 0], [BORIS, 50000, 2]]);
      expect(await won('?date=2026-11-10')).toEqual([[ANNA, 0, 0], [BORIS, 50000, 2]]);
      expect(await won('?date=2026-10-31')).toEqual([[ANNA, 140000, 2], [BORIS, 70000, 1]]);
    } finally {
      await api.server.close();
    }
  });
});
