import { ADMIN_TOKEN, ANNA, BORIS } from '../kpi/fixture';
import { useSeededAccount } from '../kpi/http';

describe('KPI API: tokens, validation, plans', () => {
  const { t, api } = useSeededAccount({ api: true });

  const expectProblem = (r: { status: number; type: string; json: any }, status: number, detail?: RegExp) => {
    expect(r.status).toBe(status);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
    if (detail) expect(r.json.detail).toMatch(detail);
  };

  it('healthz answers without a token', async () => {
    const r = await api.get('/healthz', null);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok' });
    const kept = await api.get('/healthz/answers', null);
    expect(kept.status).toBe(200);
    expect(kept.json).toEqual({ answers: expect.any(Number), bytes: expect.any(Number), generation: expect.any(Number), hits: expect.any(Number), misses: expect.any(Number) });
  });

  it.each([
    '/api/v1/status', '/api/v1/managers', '/api/v1/pipelines', '/api/v1/kpi/managers', '/api/v1/kpi/activity',
    '/api/v1/kpi/stale-deals', '/api/v1/kpi/department', '/api/v1/plans?month=2026-11', '/api/v1/nope',
  ])('%s: 401 without or with a wrong token, never data', async (path) => {
    for (const token of [null, 'wrong-token-xyz']) {
      const r = await api.get(path, token);
      expectProblem(r, 401);
      expect(r.text).not.toMatch(/Anna|wonAmount/);
    }
  });

  it('the admin token also reads; the read token cannot edit plans', async () => {
    expect((await api.get('/api/v1/managers', ADMIN_TOKEN)).status).toBe(200);
    expectProblem(await api.call('PUT', '/api/v1/plans/2026-12/101', { body: { amount: 1 } }), 401);
    expectProblem(await api.call('DELETE', '/api/v1/plans/2026-11/101'), 401);
    const plan = await t.db.one("SELECT amount FROM app.plans WHERE month = '2026-11-01' AND manager_id = 101");
    expect(plan.amount).toBe(160000);
  });

  it.each([
    ['/api/v1/kpi/managers?date=2026-02-30', /date/],
    ['/api/v1/kpi/managers?date=2026-13-01', /date/],
    ['/api/v1/kpi/managers?date=27.11.2026', /date/],
    ['/api/v1/kpi/managers?date=2026-11-28', /after today/],
    ['/api/v1/kpi/managers?foo=1', /unknown parameter.*foo/],
    ['/api/v1/kpi/managers?pipelineId=1.5', /pipelineId/],
    ['/api/v1/kpi/managers?date=2026-11-01&date=2026-11-02', /date/],
    ['/api/v1/kpi/department?pipelineId=-3', /pipelineId/],
    ['/api/v1/kpi/activity?from=2025-01-01&to=2026-01-02', /366 days/],
    ['/api/v1/kpi/activity?from=2026-11-10&to=2026-11-01', /after/],
    ['/api/v1/kpi/stale-deals?minDays=-1', /minDays/],
    ['/api/v1/kpi/stale-deals?minDays=abc', /minDays/],
    ['/api/v1/kpi/stale-deals?limit=0', /limit.*1 to 10000/],
    ['/api/v1/kpi/stale-deals?limit=10001', /limit.*1 to 10000/],
    ['/api/v1/kpi/stale-deals?limit=2.5', /limit/],
    ['/api/v1/plans?month=2026-13', /month/],
    ['/api/v1/managers?x=1', /unknown parameter/],
  ])('%s is a 400 problem', async (path, detail) => {
    expectProblem(await api.get(path), 400, detail);
  });

  it('a 366-day range is accepted', async () => {
    const r = await api.get('/api/v1/kpi/activity?from=2025-11-27&to=2026-11-27&managerId=101');
    expect(r.status).toBe(200);
    expect(r.json.rows).toHaveLength(366);
  });

  it('PUT stores a plan and audits who changed what; DELETE removes it (audited)', async () => {
    const put = await api.call('PUT', '/api/v1/plans/2026-12/101', { token: ADMIN_TOKEN, body: { amount: 300000 }, headers: { 'x-amokpi-user': 'Olga' } });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ month: '2026-12', managerId: ANNA, managerName: 'Anna', amount: 300000 });
    const again = await api.call('PUT', '/api/v1/plans/2026-12/101', { token: ADMIN_TOKEN, body: { amount: 350000 } });
    expect(again.json.amount).toBe(350000);
    const list = await api.get('/api/v1/plans?month=2026-12');
    expect(list.json).toEqual([{ month: '2026-12', managerId: ANNA, managerName: 'Anna', amount: 350000 }]);
    const del = await api.call('DELETE', '/api/v1/plans/2026-12/101', { token: ADMIN_TOKEN });
    expect(del.status).toBe(204);
    expect((await api.get('/api/v1/plans?month=2026-12')).json).toEqual([]);
    const audit = await t.db.any("SELECT old_amount, new_amount, changed_by FROM app.plan_audit WHERE month = '2026-12-01' ORDER BY id");
    expect(audit).toEqual([
      { old_amount: null, new_amount: 300000, changed_by: 'api:Olga' },
      { old_amount: 300000, new_amount: 350000, changed_by: 'api:admin-token' },
      { old_amount: 350000, new_amount: null, changed_by: 'api:admin-token' },
    ]);
  });

  it.each([
    ['/api/v1/plans/2026-11/101', { amount: -1 }, /amount/],
    ['/api/v1/plans/2026-11/101', { amount: 10.5 }, /amount/],
    ['/api/v1/plans/2026-11/101', { amount: '100' }, /amount/],
    ['/api/v1/plans/2026-11/101', { amount: 1, extra: true }, /unknown|extra/i],
    ['/api/v1/plans/2026-11/101', {}, /amount/],
    ['/api/v1/plans/2026-11/101', '{not json', /JSON/],
    ['/api/v1/plans/2026-02-01/101', { amount: 1 }, /month/],
    ['/api/v1/plans/2026-11/abc', { amount: 1 }, /managerId/],
    ['/api/v1/plans/2026-11/555', { amount: 1 }, /not a user/],
  ])('PUT %s %j is a 400 and changes nothing', async (path, body, detail) => {
    const before = await t.db.any('SELECT * FROM app.plans ORDER BY month, manager_id');
    const auditBefore = await t.db.one('SELECT count(*)::int AS n FROM app.plan_audit');
    expectProblem(await api.call('PUT', path, { token: ADMIN_TOKEN, body }), 400, detail);
    expect(await t.db.any('SELECT * FROM app.plans ORDER BY month, manager_id')).toEqual(before);
    expect(await t.db.one('SELECT count(*)::int AS n FROM app.plan_audit')).toEqual(auditBefore);
  });

  it('DELETE for an unknown manager is a 400', async () => {
    expectProblem(await api.call('DELETE', '/api/v1/plans/2026-11/555', { token: ADMIN_TOKEN }), 400, /not a user/);
  });

  it('a plan change shows on the board at once', async () => {
    await api.call('PUT', `/api/v1/plans/2026-11/${BORIS}`, { token: ADMIN_TOKEN, body: { amount: 200000 } });
    const board = await api.get('/api/v1/kpi/managers');
    expect(board.json.rows.find((r: any) => r.managerId === BORIS)).toMatchObject({ planAmount: 200000, completionPct: 65, band: 'red', planRemainder: 70000 });
    await api.call('PUT', `/api/v1/plans/2026-11/${BORIS}`, { token: ADMIN_TOKEN, body: { amount: 100000 } });
  });

  it('status: last run per stream and the data lag', async () => {
    await t.db.none(`INSERT INTO app.sync_runs (stream, mode, started_at, finished_at, fetched, upserted, requests, error) VALUES
      ('leads', 'full', '2026-11-27T14:40:00+03:00', '2026-11-27T14:41:00+03:00', 10, 10, 2, NULL),
      ('leads', 'incremental', '2026-11-27T14:50:00+03:00', '2026-11-27T14:50:30+03:00', 3, 3, 1, NULL),
      ('events', 'incremental', '2026-11-27T14:45:00+03:00', '2026-11-27T14:46:00+03:00', 5, 5, 1, NULL),
      ('events', 'incremental', '2026-11-27T14:55:00+03:00', '2026-11-27T14:55:10+03:00', 0, 0, 1, 'HTTP 502')`);
    const r = await api.get('/api/v1/status');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ timezone: 'Europe/Moscow', currency: 'RUB', dataLagSeconds: 14 * 60, lastSuccessAt: '2026-11-27T14:46:00+03:00' });
    expect(r.json.streams).toEqual([
      { stream: 'events', mode: 'incremental', startedAt: '2026-11-27T14:55:00+03:00', finishedAt: '2026-11-27T14:55:10+03:00', rows: 0, upserted: 0, deleted: 0, requests: 1, error: 'HTTP 502', lastSuccessAt: '2026-11-27T14:46:00+03:00' },
      { stream: 'leads', mode: 'incremental', startedAt: '2026-11-27T14:50:00+03:00', finishedAt: '2026-11-27T14:50:30+03:00', rows: 3, upserted: 3, deleted: 0, requests: 1, error: null, lastSuccessAt: '2026-11-27T14:50:30+03:00' },
    ]);
  });

  it('the plan editor page is served without data; its data comes through the admin API', async () => {
    const r = await api.get('/admin/plans', null);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/text\/html/);
    expect(r.text).toContain('value="2026-11"');
    expect(r.text).toContain("api('PUT','/api/v1/plans/'+month+scope(loaded.pipeline),{plans:rows})");
    expect(r.text).not.toContain('Anna');
  });

  it('unknown routes are problem+json 404 (with a token)', async () => {
    expectProblem(await api.get('/api/v1/nope'), 404);
  });
});
