import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportPlansCsv, importPlansCsv, parsePlansCsv } from '../../src/kpi/plans-csv';
import { setPlan } from '../../src/kpi/plans';
import { KpiInputError } from '../../src/kpi/time';
import { ANNA, BORIS, CARL, DINA, NOW, PARTNERS, SALES } from './fixture';
import { useSeededAccount } from './http';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../bin/amokpi.js');

/**
 * Plans per pipeline on the hand-built account (now = 2026-11-27 15:00 Moscow). November wins by the lead's
 * pipeline at T: Sales — Anna L1 100000, Boris L3 70000 + L9 60000, Carl L6 25000; Partners — Anna L5 40000.
 * October up to the 27th: Boris L15 45000 in Sales. Overall plans of the fixture: November Anna 160000,
 * Boris 100000, Dina 50000; October Boris 10000.
 */
describe('plans per pipeline: boards, department, CSV', () => {
  const { t, api } = useSeededAccount({ api: true });
  beforeAll(async () => {
    for (const [month, managerId, pipelineId, amount] of [
      ['2026-11', ANNA, SALES, 80000],
      ['2026-11', BORIS, SALES, 200000],
      ['2026-11', ANNA, PARTNERS, 50000],
      ['2026-11', DINA, PARTNERS, 0],
      ['2026-11', CARL, PARTNERS, 30000],
      ['2026-10', BORIS, SALES, 40000],
    ] as const) {
      await setPlan(t.db, { month, managerId, amount, pipelineId }, 'test');
    }
  });

  /** The plan-related columns of a board, in its row order. */
  const planColumns = (board: any) =>
    board.rows.map((r: any) => [r.managerId, r.planAmount, r.wonAmount, r.completionPct, r.band, r.planRemainder]);

  it('without a pipeline the board uses the overall plans only, exactly as before', async () => {
    const r = await api.get('/api/v1/kpi/managers');
    expect(r.status).toBe(200);
    expect(planColumns(r.json)).toEqual([
      [ANNA, 160000, 140000, 87.5, 'yellow', 20000],
      [BORIS, 100000, 130000, 130, 'green', 0],
      // Carl's Partners plan does not become an overall plan.
      [CARL, null, 25000, null, null, null],
      [DINA, 50000, 0, 0, 'red', 50000],
    ]);
  });

  it("with Sales: each manager's Sales plan; a manager with only an overall plan keeps a row without plan figures", async () => {
    const r = await api.get(`/api/v1/kpi/managers?pipelineId=${SALES}`);
    expect(r.status).toBe(200);
    expect(planColumns(r.json)).toEqual([
      [ANNA, 80000, 100000, 125, 'green', 0], // 100000 / 80000
      [BORIS, 200000, 130000, 65, 'red', 70000], // 130000 / 200000
      [CARL, null, 25000, null, null, null],
      [DINA, null, 0, null, null, null],
    ]);
  });

  it('with Partners: 80 % is yellow, a zero plan counts as met, a pipeline-only plan brings its manager in', async () => {
    const r = await api.get(`/api/v1/kpi/managers?pipelineId=${PARTNERS}`);
    expect(planColumns(r.json)).toEqual([
      [ANNA, 50000, 40000, 80, 'yellow', 10000],
      [BORIS, null, 0, null, null, null],
      [CARL, 30000, 0, 0, 'red', 30000],
      [DINA, 0, 0, 100, 'green', 0],
    ]);
  });

  it('a past date of the board reads that month: October in Sales', async () => {
    const r = await api.get(`/api/v1/kpi/managers?date=2026-10-31&pipelineId=${SALES}`);
    // Oct 31 end of day: L2 Anna 50000 (won 23:30) and L15 Boris 45000, both in Sales.
    expect(planColumns(r.json)).toEqual([
      [ANNA, null, 50000, null, null, null],
      [BORIS, 40000, 45000, 112.5, 'green', 0],
    ]);
  });

  it('department without a pipeline: the sum of the overall plans only', async () => {
    const r = await api.get('/api/v1/kpi/department');
    expect(r.json.current).toMatchObject({ wonAmount: 295000, planAmount: 310000, planRemainder: 15000 });
    expect(r.json.previous).toMatchObject({ wonAmount: 45000, planAmount: 10000, planRemainder: 0 });
    expect(r.json.change.planAmount).toEqual({ abs: 300000, pct: 3000 });
  });

  it("department with Sales: the sum of the Sales plans, this month's and the previous one's", async () => {
    const r = await api.get(`/api/v1/kpi/department?pipelineId=${SALES}`);
    // 80000 + 200000 against 255000 won in Sales; October: Boris's 40000 against L15 45000.
    expect(r.json.current).toMatchObject({ wonAmount: 255000, planAmount: 280000, planRemainder: 25000 });
    expect(r.json.previous).toMatchObject({ wonAmount: 45000, planAmount: 40000, planRemainder: 0 });
    expect(r.json.change.planAmount).toEqual({ abs: 240000, pct: 600 });
    expect(r.json.change.planRemainder).toEqual({ abs: 25000, pct: null });
  });

  it('department with Partners: no October Partners plan is null, not 0', async () => {
    const r = await api.get(`/api/v1/kpi/department?pipelineId=${PARTNERS}`);
    // 50000 + 0 + 30000 against 40000 won in Partners.
    expect(r.json.current).toMatchObject({ wonAmount: 40000, planAmount: 80000, planRemainder: 40000 });
    expect(r.json.previous).toMatchObject({ wonAmount: 0, planAmount: null, planRemainder: null });
    expect(r.json.change.planAmount).toEqual({ abs: null, pct: null });
  });

  it('the read-only Grafana role still reads both plan tables', async () => {
    const r = await t.db.one(
      `SELECT has_table_privilege('amokpi_grafana', 'app.plans', 'SELECT') AS plans,
              has_table_privilege('amokpi_grafana', 'app.plan_audit', 'SELECT') AS audit,
              has_column_privilege('amokpi_grafana', 'app.plans', 'pipeline_id', 'SELECT') AS pipeline`,
    );
    expect(r).toEqual({ plans: true, audit: true, pipeline: true });
  });

  describe('CSV', () => {
    const NOVEMBER = [
      'month,managerId,managerName,amount,pipeline_id,pipelineName',
      '2026-11,101,Anna,160000,,',
      '2026-11,101,Anna,80000,10,Sales',
      '2026-11,101,Anna,50000,20,Partners',
      '2026-11,102,Boris,100000,,',
      '2026-11,102,Boris,200000,10,Sales',
      '2026-11,103,Carl,30000,20,Partners',
      '2026-11,104,Dina,50000,,',
      '2026-11,104,Dina,0,20,Partners',
      '',
    ].join('\n');
    const rows = () => t.db.any("SELECT to_char(month, 'YYYY-MM') AS month, manager_id, pipeline_id, amount FROM app.plans ORDER BY 1, 2, 3");

    it('export writes the pipeline columns when a pipeline plan exists, empty on overall rows', async () => {
      expect(await exportPlansCsv(t.db, '2026-11')).toBe(NOVEMBER);
    });

    it('a month without pipeline plans exports exactly the old four columns', async () => {
      await setPlan(t.db, { month: '2026-09', managerId: ANNA, amount: 1000 }, 'test');
      expect(await exportPlansCsv(t.db, '2026-09')).toBe('month,managerId,managerName,amount\n2026-09,101,Anna,1000\n');
    });

    it('import(export) gives back the same plans, overall and per pipeline', async () => {
      const all = await exportPlansCsv(t.db);
      const before = await rows();
      expect(before).toHaveLength(11);
      await t.db.none('DELETE FROM app.plans');
      expect(await importPlansCsv(t.db, all, 'test')).toBe(11);
      expect(await rows()).toEqual(before);
      expect(await exportPlansCsv(t.db)).toBe(all);
    });

    it('a file without pipeline_id, or an empty cell, means the overall plan', async () => {
      expect(parsePlansCsv('month,managerId,amount\n2027-01,101,5\n')).toEqual([{ line: 2, edit: { month: '2027-01', managerId: 101, amount: 5 } }]);
      expect(parsePlansCsv('month,manager_id,amount,pipeline_id\n2027-01,101,5,\n2027-01,101,7,20\n')).toEqual([
        { line: 2, edit: { month: '2027-01', managerId: 101, amount: 5 } },
        { line: 3, edit: { month: '2027-01', managerId: 101, amount: 7, pipelineId: 20 } },
      ]);
    });

    it.each([
      ['month,managerId,amount,pipeline_id\n2027-01,101,5,10\n2027-01,102,6,sales\n', /^line 3: pipelineId must be a positive integer/],
      ['month,managerId,amount,pipeline_id\n2027-01,101,5,0\n', /^line 2: pipelineId must be a positive integer/],
      ['month,managerId,amount,pipeline_id\n2027-01,101,5,10\n2027-01,101,6,10\n', /^line 3: duplicate of line 2 \(2027-01\/101 in pipeline 10\)/],
      ['month,managerId,amount,pipeline_id\n2027-01,101,5,10\n2027-01,101,6,20\n2027-01,102,7,30\n', /^line 4: pipelineId 30 is not a pipeline/],
    ])('a bad row rejects the whole file with its line number: %j', async (csv, message) => {
      const before = await rows();
      const err = await importPlansCsv(t.db, csv, 'test').catch((e) => e);
      expect(err).toBeInstanceOf(KpiInputError);
      expect(err.message).toMatch(message);
      expect(await rows()).toEqual(before);
    });

    it('the same manager and month may have an overall and a pipeline row', async () => {
      expect(await importPlansCsv(t.db, 'month,managerId,amount,pipeline_id\n2027-01,101,5,\n2027-01,101,6,10\n', 'test')).toBe(2);
      expect((await rows()).filter((r) => r.month === '2027-01')).toEqual([
        { month: '2027-01', manager_id: ANNA, pipeline_id: 0, amount: 5 },
        { month: '2027-01', manager_id: ANNA, pipeline_id: SALES, amount: 6 },
      ]);
    });
  });

  it('CLI: plans set --pipeline stores and audits that pipeline plan; a bad pipeline is a one-line error', async () => {
    const env = { ...process.env, DATABASE_URL: t.url, AMOKPI_NOW: NOW, LOG_LEVEL: 'silent' };
    const out = await run(process.execPath, [cli, 'plans', 'set', '2027-03', '102', '70000', '--pipeline', '20'], { env });
    expect(out.stdout).toBe('2027-03 102 (Boris) in pipeline 20: 70000\n');
    expect(await t.db.any("SELECT manager_id, pipeline_id, amount FROM app.plans WHERE month = '2027-03-01'")).toEqual([
      { manager_id: BORIS, pipeline_id: PARTNERS, amount: 70000 },
    ]);
    const audit = await t.db.one("SELECT pipeline_id, old_amount, new_amount, changed_by FROM app.plan_audit WHERE month = '2027-03-01'");
    expect(audit).toMatchObject({ pipeline_id: PARTNERS, old_amount: null, new_amount: 70000, changed_by: expect.stringMatching(/^cli:/) });
    for (const pipeline of ['30', 'sales']) {
      const bad = await run(process.execPath, [cli, 'plans', 'set', '2027-03', '102', '1', '--pipeline', pipeline], { env }).catch((e) => e);
      expect(bad.code).toBe(1);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/pipelineId/);
    }
    expect(await t.db.one("SELECT count(*)::int AS n FROM app.plans WHERE month = '2027-03-01'")).toEqual({ n: 1 });
  });
});

describe('0011_pipeline_plans down and up again', () => {
  const [up, down] = fs
    .readFileSync(path.resolve(__dirname, '../../migrations/0011_pipeline_plans.sql'), 'utf8')
    .split('-- Down Migration') as [string, string];
  const { t } = useSeededAccount();

  const key = () =>
    t.db.map(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = 'app.plans'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      [],
      (r) => r.attname,
    );
  const overall = () => t.db.any("SELECT to_char(month, 'YYYY-MM') AS month, manager_id, amount FROM app.plans ORDER BY 1, 2");

  it('down drops pipeline plans and their audit rows and keeps the overall ones; up makes them overall plans again', async () => {
    expect(await key()).toEqual(['month', 'manager_id', 'pipeline_id']);
    await setPlan(t.db, { month: '2026-11', managerId: ANNA, amount: 80000, pipelineId: SALES }, 'test');
    await setPlan(t.db, { month: '2026-11', managerId: BORIS, amount: 120000 }, 'test');
    await t.db.none(down);
    expect(await key()).toEqual(['month', 'manager_id']);
    const kept = [
      { month: '2026-10', manager_id: BORIS, amount: 10000 },
      { month: '2026-11', manager_id: ANNA, amount: 160000 },
      { month: '2026-11', manager_id: BORIS, amount: 120000 },
      { month: '2026-11', manager_id: DINA, amount: 50000 },
    ];
    expect(await overall()).toEqual(kept);
    expect(await t.db.any('SELECT manager_id, old_amount, new_amount FROM app.plan_audit')).toEqual([{ manager_id: BORIS, old_amount: 100000, new_amount: 120000 }]);
    await t.db.none(up);
    expect(await key()).toEqual(['month', 'manager_id', 'pipeline_id']);
    expect(await overall()).toEqual(kept);
    expect(await t.db.one('SELECT count(*)::int AS n FROM app.plans WHERE pipeline_id <> 0')).toEqual({ n: 0 });
  });
});
