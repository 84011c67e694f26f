import { ANNA, BORIS, CARL, DINA, PARTNERS, SALES, testConfig } from './fixture';
import { serve, useSeededAccount } from './http';

/** Every KPI of KPI.md through the real HTTP API over a hand-built account; expected numbers worked out by hand. */
describe('KPI figures (hand-built account, now = 2026-11-27 15:00 Moscow)', () => {
  const { t, api } = useSeededAccount({ api: true });

  const row = (board: any, id: number) => board.rows.find((r: any) => r.managerId === id);

  it('per-manager board for today: wins, plans, bands, tasks, leads without tasks', async () => {
    const r = await api.get('/api/v1/kpi/managers');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      date: '2026-11-27',
      periodStart: '2026-11-01T00:00:00.000+03:00'.replace('.000', ''),
      asOf: '2026-11-27T15:00:00+03:00',
      timezone: 'Europe/Moscow',
      currency: 'RUB',
      bands: { red: 80, green: 100 },
      source: 'live',
    });
    expect(r.json.rows).toEqual([
      // L1 100000 (won 00:30 on the 1st) + L5 40000 (moved to Partners, won there); L2 is October's, L7 deleted.
      { managerId: ANNA, managerName: 'Anna', planAmount: 160000, wonAmount: 140000, wonCount: 2, completionPct: 87.5, band: 'yellow',
        planRemainder: 20000, openTasks: 2, overdueTasks: 1, leadsWithoutTasks: 1 },
      // L3 70000 (reopened and re-won Nov 20) + L9 60000 (no events, closed_at); L4 was won and reopened.
      { managerId: BORIS, managerName: 'Boris', planAmount: 100000, wonAmount: 130000, wonCount: 2, completionPct: 130, band: 'green',
        planRemainder: 0, openTasks: 0, overdueTasks: 0, leadsWithoutTasks: 1 },
      // Inactive, no plan: the win still counts.
      { managerId: CARL, managerName: 'Carl', planAmount: null, wonAmount: 25000, wonCount: 1, completionPct: null, band: null,
        planRemainder: null, openTasks: 0, overdueTasks: 0, leadsWithoutTasks: 0 },
      { managerId: DINA, managerName: 'Dina', planAmount: 50000, wonAmount: 0, wonCount: 0, completionPct: 0, band: 'red',
        planRemainder: 50000, openTasks: 0, overdueTasks: 0, leadsWithoutTasks: 0 },
    ]);
  });

  it('a pipeline filter counts leads by their stage at T and nulls the plan figures', async () => {
    const r = await api.get(`/api/v1/kpi/managers?pipelineId=${PARTNERS}`);
    expect(r.status).toBe(200);
    expect(r.json.rows).toEqual([
      { managerId: ANNA, managerName: 'Anna', planAmount: null, wonAmount: 40000, wonCount: 1, completionPct: null, band: null,
        planRemainder: null, openTasks: 1, overdueTasks: 0, leadsWithoutTasks: 0 },
      { managerId: BORIS, managerName: 'Boris', planAmount: null, wonAmount: 0, wonCount: 0, completionPct: null, band: null,
        planRemainder: null, openTasks: 0, overdueTasks: 0, leadsWithoutTasks: 0 },
      { managerId: DINA, managerName: 'Dina', planAmount: null, wonAmount: 0, wonCount: 0, completionPct: null, band: null,
        planRemainder: null, openTasks: 0, overdueTasks: 0, leadsWithoutTasks: 0 },
    ]);
    const sales = await api.get(`/api/v1/kpi/managers?pipelineId=${SALES}`);
    expect(row(sales.json, ANNA)).toMatchObject({ wonAmount: 100000, wonCount: 1, openTasks: 1, overdueTasks: 1, leadsWithoutTasks: 1 });
    expect(row(sales.json, BORIS)).toMatchObject({ wonAmount: 130000, wonCount: 2, leadsWithoutTasks: 1 });
  });

  it('a past date is reconstructed from the status history (tasks null)', async () => {
    const r = await api.get('/api/v1/kpi/managers?date=2026-11-10');
    expect(r.json).toMatchObject({ date: '2026-11-10', asOf: '2026-11-11T00:00:00+03:00', source: 'reconstructed' });
    // Nov 10: L1 won; L3 reopened on Nov 6; L4 reopened Nov 10 09:00; L5 and L9 win later; L6 Carl's.
    expect(r.json.rows.map((x: any) => [x.managerId, x.wonAmount, x.wonCount, x.completionPct, x.openTasks])).toEqual([
      [ANNA, 100000, 1, 62.5, null],
      [BORIS, 0, 0, 0, null],
      [CARL, 25000, 1, null, null],
      [DINA, 0, 0, 0, null],
    ]);
  });

  it('month boundaries are in the account zone: 23:30 on Oct 31 is October, 00:30 on Nov 1 is November', async () => {
    const r = await api.get('/api/v1/kpi/managers?date=2026-10-31');
    expect(r.json).toMatchObject({ periodStart: '2026-10-01T00:00:00+03:00', asOf: '2026-11-01T00:00:00+03:00' });
    expect(r.json.rows.map((x: any) => [x.managerId, x.planAmount, x.wonAmount, x.wonCount])).toEqual([
      [ANNA, null, 50000, 1],
      [BORIS, 10000, 45000, 1],
    ]);
  });

  it('department: today against the same day of the previous month', async () => {
    const r = await api.get('/api/v1/kpi/department');
    expect(r.status).toBe(200);
    expect(r.json.current).toEqual({
      date: '2026-11-27', asOf: '2026-11-27T15:00:00+03:00', source: 'live',
      wonAmount: 295000, wonCount: 5, avgWonAmount: 59000,
      // L4 30000 + L10 20000 + L11 15000 + L12 5000; L8 is unsorted.
      inProgressAmount: 70000, inProgressCount: 4,
      planAmount: 310000, planRemainder: 15000,
    });
    expect(r.json.previous).toEqual({
      date: '2026-10-27', asOf: '2026-10-28T00:00:00+03:00', source: 'reconstructed',
      wonAmount: 45000, wonCount: 1, avgWonAmount: 45000,
      // by history at Oct 28: L1 100000, L2 50000, L3 70000, L5 40000, L11 15000, L14 8000 (lost only on Nov 4).
      inProgressAmount: 283000, inProgressCount: 6,
      planAmount: 10000, planRemainder: 0,
    });
    expect(r.json.change).toEqual({
      wonAmount: { abs: 250000, pct: 555.6 },
      wonCount: { abs: 4, pct: 400 },
      avgWonAmount: { abs: 14000, pct: 31.1 },
      inProgressAmount: { abs: -213000, pct: -75.3 },
      inProgressCount: { abs: -2, pct: -33.3 },
      planAmount: { abs: 300000, pct: 3000 },
      planRemainder: { abs: 15000, pct: null },
    });
  });

  it('department with a pipeline filter: no plan figures', async () => {
    const r = await api.get(`/api/v1/kpi/department?pipelineId=${SALES}`);
    expect(r.json.current).toMatchObject({
      wonAmount: 255000, wonCount: 4, avgWonAmount: 63750, inProgressAmount: 65000, inProgressCount: 3, planAmount: null, planRemainder: null,
    });
    expect(r.json.change.planAmount).toEqual({ abs: null, pct: null });
  });

  it('the previous-period date is clamped: Mar 31 compares with Feb 28', async () => {
    const r = await api.get('/api/v1/kpi/department?date=2026-03-31');
    expect(r.json.current).toMatchObject({ date: '2026-03-31', asOf: '2026-04-01T00:00:00+03:00', wonAmount: 0, avgWonAmount: null });
    expect(r.json.previous).toMatchObject({ date: '2026-02-28', asOf: '2026-03-01T00:00:00+03:00', wonAmount: 12000, wonCount: 1 });
    expect(r.json.change.wonAmount).toEqual({ abs: -12000, pct: -100 });
    expect(r.json.change.avgWonAmount).toEqual({ abs: null, pct: null });
  });

  it('activity: deduplicated calls on leads and contacts, robots excluded, zero-filled days', async () => {
    const r = await api.get('/api/v1/kpi/activity?from=2026-11-25&to=2026-11-27');
    expect(r.status).toBe(200);
    expect(r.json.timezone).toBe('Europe/Moscow');
    expect(r.json.messageMinutes).toBe(0.5);
    const z = (date: string, managerId: number, managerName: string) => ({ date, managerId, managerName, callMinutes: 0, messages: 0, activityMinutes: 0 });
    expect(r.json.rows).toEqual([
      // u1 on the lead and on its contact is one 120 s call; two messages.
      { date: '2026-11-25', managerId: ANNA, managerName: 'Anna', callMinutes: 2, messages: 2, activityMinutes: 3 },
      z('2026-11-25', BORIS, 'Boris'), z('2026-11-25', CARL, 'Carl'), z('2026-11-25', DINA, 'Dina'),
      z('2026-11-26', ANNA, 'Anna'),
      // "90" seconds at 00:30 Moscow on Nov 26 (still Nov 25 in UTC).
      { date: '2026-11-26', managerId: BORIS, managerName: 'Boris', callMinutes: 1.5, messages: 0, activityMinutes: 1.5 },
      // contacts note 1 is not leads note 1.
      { date: '2026-11-26', managerId: CARL, managerName: 'Carl', callMinutes: 1, messages: 0, activityMinutes: 1 },
      z('2026-11-26', DINA, 'Dina'),
      // two 45 s calls without uniq; the 600 s "common" note is not a call.
      { date: '2026-11-27', managerId: ANNA, managerName: 'Anna', callMinutes: 1.5, messages: 0, activityMinutes: 1.5 },
      // 30 s (on a deleted lead: activity is history) + 50 s = 80 s = 1.333 min; + 1 message = 1.833 -> rounded once.
      { date: '2026-11-27', managerId: BORIS, managerName: 'Boris', callMinutes: 1.3, messages: 1, activityMinutes: 1.8 },
      z('2026-11-27', CARL, 'Carl'), z('2026-11-27', DINA, 'Dina'),
    ]);
    const boris = await api.get(`/api/v1/kpi/activity?from=2026-11-25&to=2026-11-27&managerId=${BORIS}`);
    expect(boris.json.rows.map((x: any) => [x.date, x.activityMinutes])).toEqual([['2026-11-25', 0], ['2026-11-26', 1.5], ['2026-11-27', 1.8]]);
  });

  it('activity defaults to the current month, one row per day per manager', async () => {
    const r = await api.get('/api/v1/kpi/activity');
    expect(r.json.rows).toHaveLength(30 * 4);
    expect(r.json.rows[0]).toMatchObject({ date: '2026-11-01' });
    expect(r.json.rows.at(-1)).toMatchObject({ date: '2026-11-30' });
  });

  it('stale deals: calendar days in the current stage, longest first, with filters', async () => {
    const r = await api.get('/api/v1/kpi/stale-deals');
    expect(r.status).toBe(200);
    expect(r.json.asOf).toBe('2026-11-27T15:00:00+03:00');
    expect(r.json.rows.map((x: any) => [x.leadId, x.daysInStatus])).toEqual([[11, 87], [12, 25], [4, 17], [10, 1]]);
    expect(r.json.rows[3]).toEqual({
      leadId: 10, leadName: 'Lead 10', managerId: ANNA, managerName: 'Anna', pipelineId: SALES, pipelineName: 'Sales',
      statusId: 1003, statusName: 'Negotiation', price: 20000, daysInStatus: 1, enteredAt: '2026-11-26T23:00:00+03:00',
      url: 'https://acme.amocrm.ru/leads/detail/10',
    });
    // L4 re-entered New when reopened (Nov 10 09:00), not when it was first created there.
    expect(r.json.rows[2].enteredAt).toBe('2026-11-10T09:00:00+03:00');
    const min = await api.get('/api/v1/kpi/stale-deals?minDays=20');
    expect(min.json.rows.map((x: any) => x.leadId)).toEqual([11, 12]);
    const anna = await api.get(`/api/v1/kpi/stale-deals?managerId=${ANNA}`);
    expect(anna.json.rows.map((x: any) => x.leadId)).toEqual([11, 10]);
    const partners = await api.get(`/api/v1/kpi/stale-deals?pipelineId=${PARTNERS}`);
    expect(partners.json.rows.map((x: any) => x.leadId)).toEqual([12]);
    // limit keeps the longest-stuck first, after the filters.
    const top = await api.get('/api/v1/kpi/stale-deals?limit=2');
    expect(top.json.rows.map((x: any) => x.leadId)).toEqual([11, 12]);
    const annaTop = await api.get(`/api/v1/kpi/stale-deals?managerId=${ANNA}&limit=1`);
    expect(annaTop.json.rows.map((x: any) => x.leadId)).toEqual([11]);
  });

  it('AMOKPI_MANAGERS restricts the boards; AMOKPI_BANDS and AMOKPI_MESSAGE_MINUTES are honoured', async () => {
    const other = await serve(testConfig({ AMOKPI_MANAGERS: '102,103', AMOKPI_BANDS: '50,80', AMOKPI_MESSAGE_MINUTES: '2' }), t.db);
    try {
      const m = await other.get('/api/v1/kpi/managers');
      expect(m.json.bands).toEqual({ red: 50, green: 80 });
      expect(m.json.rows.map((x: any) => [x.managerId, x.band])).toEqual([[BORIS, 'green'], [CARL, null]]);
      const d = await other.get('/api/v1/kpi/department');
      // Boris 130000 + Carl 25000; in progress L4 30000 + L12 5000; plan Boris 100000.
      expect(d.json.current).toMatchObject({ wonAmount: 155000, wonCount: 3, inProgressAmount: 35000, inProgressCount: 2, planAmount: 100000, planRemainder: 0 });
      const a = await other.get('/api/v1/kpi/activity?from=2026-11-27&to=2026-11-27');
      // 80 s + 1 message x 2 min = 3.333 -> 3.3
      expect(a.json.rows).toEqual([
        { date: '2026-11-27', managerId: BORIS, managerName: 'Boris', callMinutes: 1.3, messages: 1, activityMinutes: 3.3 },
      ]);
      // Carl is on the board only over a range where he called (Nov 26).
      const a2 = await other.get('/api/v1/kpi/activity?from=2026-11-26&to=2026-11-26');
      expect(a2.json.rows.map((x: any) => [x.managerId, x.activityMinutes])).toEqual([[BORIS, 1.5], [CARL, 1]]);
      const s = await other.get('/api/v1/kpi/stale-deals');
      expect(s.json.rows.map((x: any) => x.leadId)).toEqual([12, 4]);
    } finally {
      await other.server.close();
    }
  });

  it('the alert-rule view agrees with the API task figures (as of the database clock)', async () => {
    const rows = await t.db.any('SELECT * FROM kpi.manager_tasks_now ORDER BY manager_id');
    // The view uses the real now(): task 1 (due 2026-11-27 10:00 Moscow) is past, task 3 is due in 2099.
    expect(rows).toEqual([
      { manager_id: ANNA, manager_name: 'Anna', open_tasks: 2, overdue_tasks: 1, leads_without_tasks: 1 },
      { manager_id: BORIS, manager_name: 'Boris', open_tasks: 0, overdue_tasks: 0, leads_without_tasks: 1 },
    ]);
  });

  it('reference endpoints: managers and pipelines', async () => {
    const m = await api.get('/api/v1/managers');
    expect(m.json).toEqual([
      { id: ANNA, name: 'Anna', isActive: true }, { id: BORIS, name: 'Boris', isActive: true },
      { id: CARL, name: 'Carl', isActive: false }, { id: DINA, name: 'Dina', isActive: true },
    ]);
    const p = await api.get('/api/v1/pipelines');
    expect(p.json[1]).toEqual({
      id: PARTNERS, name: 'Partners',
      statuses: [{ id: 2001, name: 'Incoming', type: 1 }, { id: 2002, name: 'Qualify', type: 0 }, { id: 142, name: 'Won', type: 0 }, { id: 143, name: 'Lost', type: 0 }],
    });
  });
});
