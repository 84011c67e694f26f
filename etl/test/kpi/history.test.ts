import { loadKpiContext } from '../../src/kpi/context';
import { department } from '../../src/kpi/department';
import { managersBoard } from '../../src/kpi/managers';
import { backfillSnapshots, snapshotDay } from '../../src/kpi/snapshot';
import { applyLeadDeletionEvents, markLeadsDeleted } from '../../src/sync/deletions';
import { ANNA, BORIS, NOW, testConfig } from './fixture';
import { useSeededAccount } from './http';

/**
 * Stored history (kpi.snapshot_days) on the hand-built account (fixture.ts). Figures as of the end of Nov 26:
 * Anna won L1 100 000 (Nov 1) + L5 40 000 (Nov 12) = 140 000 in 2 (L7 is deleted); Boris L3 70 000 (re-won
 * Nov 20) + L9 60 000 (Nov 15) = 130 000 in 2 (L4 was reopened Nov 10); Carl L6 25 000. Open tasks on active
 * leads: Anna's task 1 on L10 (due Nov 27 10:00) and task 3 on Boris's L12; Anna's L11 and Boris's L4 have none.
 */
describe('stored history: back-fill, incomplete days, deletions', () => {
  const { t } = useSeededAccount();
  const at = (now: string) => testConfig({ AMOKPI_NOW: now });
  const NOV28 = '2026-11-28T10:00:00+03:00';
  const board = async (now: string, date: string) => managersBoard(t.db, await loadKpiContext(t.db, at(now)), date, null);
  const dept = async (now: string, date: string) => (await department(t.db, await loadKpiContext(t.db, at(now)), date, null)).current;
  const row = (b: { rows: Array<{ managerId: number }> }, id: number) => b.rows.find((r) => r.managerId === id);
  const stored = () =>
    t.db.map("SELECT to_char(day, 'YYYY-MM-DD') AS day, source FROM kpi.snapshot_days WHERE pipeline_id = 0 ORDER BY day", [], (r) => `${r.day} ${r.source}`);
  const brief = (r: { date: string; source: string; asOf: string; kept: boolean }) => ({ date: r.date, source: r.source, asOf: r.asOf, kept: r.kept });

  it('a back-fill stores every past day as reconstructed with null tasks, yesterday too; the end-of-day job then freezes yesterday', async () => {
    // Back-fill on Nov 27 at 15:00: today is live and is not stored; yesterday is not frozen with today's tasks
    // (task 1, due Nov 27 10:00, is overdue now but was not when Nov 26 ended).
    const filled = await backfillSnapshots(t.db, at(NOW), '2026-11-25', '2026-11-27');
    expect(filled.map(brief)).toEqual([
      { date: '2026-11-25', source: 'reconstructed', asOf: '2026-11-26T00:00:00+03:00', kept: false },
      { date: '2026-11-26', source: 'reconstructed', asOf: '2026-11-27T00:00:00+03:00', kept: false },
    ]);
    expect(await t.db.one("SELECT count(*)::int AS views, count(*) FILTER (WHERE source = 'reconstructed')::int AS reconstructed FROM kpi.snapshot_days"))
      .toEqual({ views: 6, reconstructed: 6 });
    expect(await t.db.one('SELECT count(*)::int AS n FROM kpi.snapshot_managers WHERE open_tasks IS NOT NULL OR overdue_tasks IS NOT NULL OR leads_without_tasks IS NOT NULL'))
      .toEqual({ n: 0 });
    const rebuilt = await board(NOW, '2026-11-26');
    expect(rebuilt).toMatchObject({ source: 'reconstructed', asOf: '2026-11-27T00:00:00+03:00' });
    expect(row(rebuilt, ANNA)).toMatchObject({ wonAmount: 140000, wonCount: 2, openTasks: null, overdueTasks: null, leadsWithoutTasks: null });
    expect(row(rebuilt, BORIS)).toMatchObject({ wonAmount: 130000, wonCount: 2, openTasks: null, overdueTasks: null, leadsWithoutTasks: null });

    // The end-of-day job, five minutes after midnight, replaces the reconstructed row with the frozen day.
    const frozen = await snapshotDay(t.db, at('2026-11-27T00:05:00+03:00'), '2026-11-26');
    expect(brief(frozen)).toEqual({ date: '2026-11-26', source: 'snapshot', asOf: '2026-11-27T00:00:00+03:00', kept: false });
    const served = await board(NOW, '2026-11-26');
    expect(served.source).toBe('snapshot');
    // Anna: tasks 1 and 3 open, neither overdue at midnight; L11 without a task. Boris: no open task, L4 without one.
    expect(row(served, ANNA)).toMatchObject({ wonAmount: 140000, wonCount: 2, openTasks: 2, overdueTasks: 0, leadsWithoutTasks: 1 });
    expect(row(served, BORIS)).toMatchObject({ wonAmount: 130000, wonCount: 2, openTasks: 0, overdueTasks: 0, leadsWithoutTasks: 1 });

    // Frozen means frozen: neither a later explicit snapshot nor a back-fill touches the complete day.
    expect((await snapshotDay(t.db, at(NOW), '2026-11-26')).kept).toBe(true);
    expect(await backfillSnapshots(t.db, at(NOW), '2026-11-25', '2026-11-26')).toEqual([]);
    expect(await stored()).toEqual(['2026-11-25 reconstructed', '2026-11-26 snapshot']);
  });

  it('an explicit snapshot of yesterday judges overdue tasks at the end of that day', async () => {
    // Anna gets a call-back on L11 due Nov 26 10:00. On Nov 26 at 15:00 an on-demand snapshot freezes Nov 25 (stored
    // reconstructed so far): tasks 1, 3 and 7 are open, and none was overdue when Nov 25 ended, though task 7 is now.
    await t.db.none(`INSERT INTO amo.tasks (id, responsible_user_id, entity_id, entity_type, task_type_id, text, is_completed, complete_till, created_at)
      VALUES (7, $1, 11, 'leads', 1, 'call back', false, '2026-11-26T10:00:00+03:00', '2026-11-24T10:00:00+03:00')`, [ANNA]);
    try {
      const r = await snapshotDay(t.db, at('2026-11-26T15:00:00+03:00'), '2026-11-25');
      expect(brief(r)).toEqual({ date: '2026-11-25', source: 'snapshot', asOf: '2026-11-26T00:00:00+03:00', kept: false });
      const anna = await t.db.one(
        "SELECT open_tasks, overdue_tasks, leads_without_tasks FROM kpi.snapshot_managers WHERE day = '2026-11-25' AND pipeline_id = 0 AND manager_id = $1",
        [ANNA],
      );
      expect(anna).toEqual({ open_tasks: 3, overdue_tasks: 0, leads_without_tasks: 0 });
    } finally {
      await t.db.none('DELETE FROM amo.tasks WHERE id = 7');
    }
  });

  it('a day frozen before it ended is not served as the finished day, and the catch-up replaces it', async () => {
    // `amokpi snapshot` on Nov 27 at 15:00 freezes today so far.
    const partial = await snapshotDay(t.db, at(NOW));
    expect(brief(partial)).toEqual({ date: '2026-11-27', source: 'snapshot', asOf: '2026-11-27T15:00:00+03:00', kept: false });
    // At 16:00 Anna wins L10 (20 000).
    await t.db.none(`INSERT INTO amo.events (id, type, entity_id, entity_type, created_by, created_at, value_before, value_after) VALUES
      ('win16', 'lead_status_changed', 10, 'lead', 101, '2026-11-27T16:00:00+03:00',
       '[{"lead_status":{"id":1003,"pipeline_id":10}}]', '[{"lead_status":{"id":142,"pipeline_id":10}}]')`);
    await t.db.none("UPDATE amo.leads SET status_id = 142, closed_at = '2026-11-27T16:00:00+03:00', updated_at = '2026-11-27T16:00:00+03:00' WHERE id = 10");

    // The 00:05 job never ran. On Nov 28 the day is the history's answer as of its end: 140 000 + 20 000.
    const nov27 = await board(NOV28, '2026-11-27');
    expect(nov27).toMatchObject({ date: '2026-11-27', source: 'reconstructed', asOf: '2026-11-28T00:00:00+03:00' });
    expect(row(nov27, ANNA)).toEqual({
      managerId: ANNA, managerName: 'Anna', planAmount: 160000, wonAmount: 160000, wonCount: 3, completionPct: 100, band: 'green',
      planRemainder: 0, openTasks: null, overdueTasks: null, leadsWithoutTasks: null,
    });
    // Department: 160 000 + Boris 130 000 + Carl 25 000 in 6; in progress at midnight L4 30 000, L11 15 000, L12 5 000.
    expect(await dept(NOV28, '2026-11-27')).toMatchObject({
      source: 'reconstructed', asOf: '2026-11-28T00:00:00+03:00', wonAmount: 315000, wonCount: 6, inProgressAmount: 50000, inProgressCount: 3,
    });
    // Meanwhile, on Nov 27 itself, today stays live.
    expect((await board(NOW, '2026-11-27')).source).toBe('live');

    // The worker's catch-up (a back-fill up to yesterday) replaces the incomplete day; the frozen Nov 25 and 26 stay.
    const caught = await backfillSnapshots(t.db, at(NOV28), '2026-11-25', '2026-11-27');
    expect(caught.map(brief)).toEqual([{ date: '2026-11-27', source: 'reconstructed', asOf: '2026-11-28T00:00:00+03:00', kept: false }]);
    expect(await stored()).toEqual(['2026-11-25 snapshot', '2026-11-26 snapshot', '2026-11-27 reconstructed']);
    const fromTable = await board(NOV28, '2026-11-27');
    expect(fromTable.source).toBe('reconstructed');
    expect(row(fromTable, ANNA)).toMatchObject({ wonAmount: 160000, wonCount: 3, openTasks: null });
  });

  it('deleting or restoring a lead drops the reconstructed days from its creation on; frozen days keep it', async () => {
    const filled = await backfillSnapshots(t.db, at(NOV28), '2026-11-20', '2026-11-27');
    expect(filled.map((r) => r.date)).toEqual(['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24']);
    expect(row(await board(NOV28, '2026-11-24'), BORIS)).toMatchObject({ wonAmount: 130000, wonCount: 2 });

    // The trash route deletes L9 (Boris, 60 000, created Nov 1, won Nov 15) on Nov 28 at 09:00.
    await t.db.none(markLeadsDeleted([{ id: 9, at: Date.parse('2026-11-28T09:00:00+03:00') / 1000 }])!.sql);
    expect(await stored()).toEqual(['2026-11-25 snapshot', '2026-11-26 snapshot']);
    const nov24 = await board(NOV28, '2026-11-24');
    expect(nov24.source).toBe('reconstructed');
    expect(row(nov24, BORIS)).toMatchObject({ planAmount: 100000, wonAmount: 70000, wonCount: 1, completionPct: 70, band: 'red', planRemainder: 30000 });
    // Department Nov 24: Anna 140 000 + Boris 70 000 + Carl 25 000; in progress L4, L10, L11, L12 (L8 not created yet).
    expect(await dept(NOV28, '2026-11-24')).toMatchObject({ source: 'reconstructed', wonAmount: 235000, wonCount: 4, inProgressAmount: 70000, inProgressCount: 4 });
    const nov26 = await board(NOV28, '2026-11-26');
    expect(nov26.source).toBe('snapshot');
    expect(row(nov26, BORIS)).toMatchObject({ wonAmount: 130000, wonCount: 2 });

    // The catch-up stores them again, without L9.
    expect((await backfillSnapshots(t.db, at(NOV28), '2026-11-20', '2026-11-27')).map((r) => r.date))
      .toEqual(['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-27']);
    const again = await board(NOV28, '2026-11-24');
    expect(again.source).toBe('reconstructed');
    expect(row(again, BORIS)).toMatchObject({ wonAmount: 70000, wonCount: 1 });

    // A lead_deleted event for L8 (created Nov 26 10:00 Moscow, 07:00 UTC) drops only the days from Nov 25 on.
    await t.db.none(`INSERT INTO amo.events (id, type, entity_id, entity_type, created_by, created_at)
      VALUES ('del8', 'lead_deleted', 8, 'lead', 102, '2026-11-28T09:30:00+03:00')`);
    expect(await t.db.one(applyLeadDeletionEvents([8])!.sql)).toEqual({ deleted: 1, restored: 0 });
    expect(await stored()).toEqual([
      '2026-11-20 reconstructed', '2026-11-21 reconstructed', '2026-11-22 reconstructed', '2026-11-23 reconstructed', '2026-11-24 reconstructed',
      '2026-11-25 snapshot', '2026-11-26 snapshot',
    ]);

    // L9 seen alive again (the leads upsert clears deleted_at): it counts again, so those days go as well.
    await t.db.none('UPDATE amo.leads SET deleted_at = NULL WHERE id = 9');
    expect(await stored()).toEqual(['2026-11-25 snapshot', '2026-11-26 snapshot']);
    expect(row(await board(NOV28, '2026-11-24'), BORIS)).toMatchObject({ wonAmount: 130000, wonCount: 2 });
  });

  it('deleting a deal closed long ago drops only the days up to the end of the month of its last change', async () => {
    const around = async () => (await stored()).filter((d) => d >= '2026-10-30' && d < '2026-11-03');
    await backfillSnapshots(t.db, at(NOV28), '2026-10-30', '2026-11-02');
    expect(await around()).toEqual(['2026-10-30 reconstructed', '2026-10-31 reconstructed', '2026-11-01 reconstructed', '2026-11-02 reconstructed']);
    expect(row(await board(NOV28, '2026-10-31'), BORIS)).toMatchObject({ wonAmount: 45000, wonCount: 1 });

    // L15 (Boris, 45 000, created Sep 1, won Oct 10, nothing since) goes to the trash: October's days counted it,
    // November's cannot have (it is neither in progress nor won in November), so they stay stored.
    await t.db.none(markLeadsDeleted([{ id: 15, at: Date.parse('2026-11-28T09:00:00+03:00') / 1000 }])!.sql);
    expect(await around()).toEqual(['2026-11-01 reconstructed', '2026-11-02 reconstructed']);
    // Boris's October plan is 10 000: nothing won against it now.
    expect(row(await board(NOV28, '2026-10-31'), BORIS)).toMatchObject({ planAmount: 10000, wonAmount: 0, wonCount: 0, completionPct: 0, band: 'red' });
  });

  it('a deletion written while a day is being stored waits for it, then drops it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    // A back-fill transaction as snapshot.ts runs it: the shared history lock first, the day's rows later.
    const storing = t.db.tx(async (tx) => {
      await tx.any("SELECT pg_advisory_xact_lock_shared(hashtext('amokpi.history'), 0)");
      locked();
      await gate;
      await tx.none("INSERT INTO kpi.snapshot_days (day, pipeline_id, source, as_of) VALUES ('2026-11-10', 0, 'reconstructed', '2026-11-11T00:00:00+03:00')");
    });
    await holding;
    let deleted = false;
    const deleting = t.db.none(markLeadsDeleted([{ id: 9, at: Date.parse('2026-11-28T11:00:00+03:00') / 1000 }])!.sql).then(() => (deleted = true));
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(deleted).toBe(false);
    } finally {
      release();
      await storing;
      await deleting;
    }
    expect(await stored()).toEqual(['2026-11-25 snapshot', '2026-11-26 snapshot']);
  });
});
