import { useSeededAccount } from './http';

describe('kpi schema', () => {
  const { t } = useSeededAccount();

  it('exposes kpi.manager_tasks_now with the columns the alert rules read', async () => {
    const cols = await t.db.any(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'kpi' AND table_name = 'manager_tasks_now' ORDER BY ordinal_position",
    );
    expect(cols).toEqual([
      { column_name: 'manager_id', data_type: 'bigint' },
      { column_name: 'manager_name', data_type: 'text' },
      { column_name: 'open_tasks', data_type: 'integer' },
      { column_name: 'overdue_tasks', data_type: 'integer' },
      { column_name: 'leads_without_tasks', data_type: 'integer' },
    ]);
  });

  const summary = () => t.db.any('SELECT lead_id, last_at, last_id, pipeline_id, status_id, won_at FROM kpi.lead_status_last ORDER BY lead_id');
  /** Rebuilds the summary from scratch and returns it (equal to the trigger-maintained one when correct). */
  const rebuilt = async () => {
    await t.db.one('SELECT kpi.rebuild_lead_status_last()');
    return summary();
  };

  it('the per-lead status summary follows inserts in any order, updates and deletes', async () => {
    const maintained = await summary();
    expect(maintained.length).toBe(10);
    expect(await rebuilt()).toEqual(maintained);
    const l3 = (await summary()).find((r) => r.lead_id === 3);
    expect(l3).toMatchObject({ status_id: 142, won_at: new Date('2026-11-20T09:00:00Z') });
    // An older event arriving late does not displace the latest one.
    await t.db.none(`INSERT INTO amo.events (id, type, entity_id, entity_type, created_at, value_before, value_after) VALUES
      ('old1', 'lead_status_changed', 3, 'lead', '2026-11-01T10:00:00+03:00',
       '[{"lead_status":{"id":1002,"pipeline_id":10}}]', '[{"lead_status":{"id":142,"pipeline_id":10}}]')`);
    expect((await summary()).find((r) => r.lead_id === 3)).toEqual(l3);
    await t.db.none(`UPDATE amo.events SET created_at = '2026-11-21T10:00:00+03:00' WHERE id = 'old1'`);
    expect((await summary()).find((r) => r.lead_id === 3)).toMatchObject({ last_id: 'old1', won_at: new Date('2026-11-21T07:00:00Z') });
    await t.db.none(`DELETE FROM amo.events WHERE id = 'old1'`);
    expect((await summary()).find((r) => r.lead_id === 3)).toEqual(l3);
    const after = await summary();
    expect(await rebuilt()).toEqual(after);
  });

  it.each([
    ['2026-11-01T00:00:00+03:00', '2026-11-27T15:00:00+03:00'],
    ['2026-11-01T00:00:00+03:00', '2026-12-01T00:00:00+03:00'],
    ['2026-10-01T00:00:00+03:00', '2026-11-01T00:00:00+03:00'],
    ['2026-11-01T00:00:00+03:00', '2026-11-11T00:00:00+03:00'],
  ])('wins from the summary equal wins read from the history (%s .. %s)', async (from, to) => {
    const q = (fn: string) => t.db.any(`SELECT * FROM ${fn}($1, $2) ORDER BY lead_id`, [from, to]);
    const history = await q('kpi.won_leads_by_history');
    expect(await q('kpi.won_leads')).toEqual(history);
    expect(history.length).toBeGreaterThan(0);
  });
});
