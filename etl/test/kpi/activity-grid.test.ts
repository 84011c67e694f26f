import { ANNA, BORIS, CARL, DINA } from './fixture';
import { useSeededAccount } from './http';

/**
 * The activity grid is laid out in activity.ts from the board's managers as Postgres ranks them (by name in the
 * database's collation, a manager without a user row last) and the cells that hold something.
 */
describe('activity grid', () => {
  const { t, api } = useSeededAccount({ api: true });

  beforeAll(async () => {
    // Aaron sorts before Anna with a larger id; 777 made calls but is no user of the account (no name).
    await t.db.none(`INSERT INTO amo.users (id, name, is_active, raw) VALUES (150, 'Aaron', true, '{}')`);
    await t.db.none(`INSERT INTO amo.notes (entity_type, id, entity_id, note_type, responsible_user_id, created_at, duration_seconds) VALUES
      ('leads', 9101, 1, 'call_out', 150, '2026-11-26T12:00:00+03:00', 150),
      ('leads', 9102, 1, 'call_in', 777, '2026-11-26T13:00:00+03:00', 60)`);
  });

  it('rows go day by day, managers in the order of their names, zeros where nothing happened', async () => {
    const r = await api.get('/api/v1/kpi/activity?from=2026-11-26&to=2026-11-27');
    expect(r.status).toBe(200);
    const ranked = await t.db.map(
      `SELECT m.id FROM unnest($1::bigint[]) m(id) LEFT JOIN amo.users u ON u.id = m.id ORDER BY u.name NULLS LAST, m.id`,
      [[ANNA, BORIS, CARL, DINA, 150, 777]],
      (x) => Number(x.id),
    );
    expect(ranked).toEqual([150, ANNA, BORIS, CARL, DINA, 777]);
    expect(r.json.rows.map((x: any) => [x.date, x.managerId])).toEqual(['2026-11-26', '2026-11-27'].flatMap((d) => ranked.map((m) => [d, m])));
    const at = (date: string, managerId: number) => r.json.rows.find((x: any) => x.date === date && x.managerId === managerId);
    expect(at('2026-11-26', 150)).toEqual({ date: '2026-11-26', managerId: 150, managerName: 'Aaron', callMinutes: 2.5, messages: 0, activityMinutes: 2.5 });
    expect(at('2026-11-26', 777)).toEqual({ date: '2026-11-26', managerId: 777, managerName: null, callMinutes: 1, messages: 0, activityMinutes: 1 });
    expect(at('2026-11-27', 150)).toEqual({ date: '2026-11-27', managerId: 150, managerName: 'Aaron', callMinutes: 0, messages: 0, activityMinutes: 0 });
    // One manager: that manager's days only; a range with nothing and no plans: no rows.
    const aaron = await api.get('/api/v1/kpi/activity?from=2026-11-26&to=2026-11-27&managerId=150');
    expect(aaron.json.rows.map((x: any) => [x.date, x.activityMinutes])).toEqual([['2026-11-26', 2.5], ['2026-11-27', 0]]);
    const empty = await api.get('/api/v1/kpi/activity?from=2025-01-01&to=2025-01-31');
    expect(empty.json.rows).toEqual([]);
  });

  it('stays the same when another process keeps another zone: the figures come from the history', async () => {
    const path = '/api/v1/kpi/activity?from=2026-11-01&to=2026-11-30';
    const kept = await api.get(path);
    expect(kept.json.rows.some((x: any) => x.activityMinutes > 0)).toBe(true);
    const { zone } = await t.db.one<{ zone: string }>('SELECT zone FROM kpi.activity_zone');
    await t.db.one('SELECT kpi.use_activity_zone($1)', ['Asia/Vladivostok']);
    expect((await api.get(path)).json).toEqual(kept.json);
    // This process made its zone the kept one once, not again on every request.
    expect(await t.db.one('SELECT zone FROM kpi.activity_zone')).toEqual({ zone: 'Asia/Vladivostok' });
    await t.db.one('SELECT kpi.use_activity_zone($1)', [zone]);
    expect((await api.get(path)).json).toEqual(kept.json);
  });
});
