import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { listFiles, readJson, ignoreTerminationOnDrop } from './files';
import { MARKER, type PanelResult } from './panelFrames';

const run = promisify(execFile);
const ETL = path.resolve(__dirname, '../..');

describe('dashboard panels through the real plugin frames and @grafana/data transformations', () => {
  let results: PanelResult[];
  beforeAll(async () => {
    const { stdout } = await run(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'panelFrames.ts')], { cwd: ETL, maxBuffer: 1 << 24 });
    results = JSON.parse(stdout.slice(stdout.indexOf(MARKER) + MARKER.length));
  }, 120000);

  const framesOf = (dashboard: string, panelId: number) => {
    const r = results.find((x) => x.dashboard === dashboard && x.panelId === panelId);
    if (!r) throw new Error(`no result for ${dashboard} panel ${panelId}`);
    expect(r.frames).toHaveLength(1);
    return r.frames[0]!.fields;
  };
  const panelOf = (dashboard: string, panelId: number) => Object.fromEntries(framesOf(dashboard, panelId).map((f) => [f.name, f.values]));

  it('covers every plugin panel of every dashboard', () => {
    const expected = listFiles('dashboards', /\.json$/)
      .map((f) => readJson(f))
      .flatMap((d) => d.panels.filter((p: any) => p.targets.some((t: any) => t.datasource.uid === 'amokpi')).map((p: any) => `${d.uid}/${p.id}`));
    expect(results.map((r) => `${r.dashboard}/${r.panelId}`).sort()).toEqual(expected.sort());
  });

  it('TV table: exactly the board columns, in order, for every manager', () => {
    for (const [dash, id] of [['amokpi-today', 1], ['amokpi-history', 2]] as const) {
      const t = panelOf(dash, id);
      expect(Object.keys(t)).toEqual(['managerName', 'planAmount', 'wonAmount', 'completionPct', 'planRemainder', 'openTasks', 'overdueTasks', 'leadsWithoutTasks']);
      expect(t.managerName).toEqual(['Анна', 'Борис']);
      expect(t.completionPct).toEqual([110, 50]);
      // The colours are the API's bands (70/90 in the fixture), one decimal: nothing in the dashboard fixes them.
      const completion = framesOf(dash, id).find((f) => f.name === 'completionPct')!;
      expect(completion).toMatchObject({ thresholds: [[null, 'red'], [70, 'yellow'], [90, 'green']], decimals: 1 });
    }
  });

  it('activity bars: calls and message minutes per manager that add up to the activity figure', () => {
    const a = panelOf('amokpi-today', 3);
    expect(Object.keys(a)).toEqual(['managerName', 'callMinutes', 'messageMinutes']);
    expect(a).toEqual({ managerName: ['Анна', 'Борис'], callMinutes: [42.5, 0], messageMinutes: [5, 2] });
  });

  it('stuck deals: manager, stage, deal, days first, longest first, url kept for the link', () => {
    const s = panelOf('amokpi-today', 4);
    expect(Object.keys(s)).toEqual(['managerName', 'statusName', 'leadName', 'daysInStatus', 'price', 'pipelineName', 'url']);
    expect(s.daysInStatus).toEqual([40, 9]);
    expect(s.url![0]).toBe('https://demo.amocrm.ru/leads/detail/501');
  });

  it('freshness stat: only the lag, in minutes', () => {
    for (const [dash, id] of [['amokpi-today', 2], ['amokpi-etl', 1]] as const) {
      expect(panelOf(dash, id)).toEqual({ lagMinutes: [25, 25] }); // lagSeconds 1500
    }
  });

  it('department stats: value, previous value and change of one figure each; the table has every figure', () => {
    const won = panelOf('amokpi-department', 1);
    expect(won).toEqual({ wonAmount: [1600000], wonAmountPrevious: [1000000], wonAmountChangePct: [60] });
    const remainder = panelOf('amokpi-department', 6);
    expect(remainder).toEqual({ planRemainder: [400000], planRemainderPrevious: [1000000], planRemainderChangePct: [-60] });
    const table = panelOf('amokpi-department', 7);
    expect(Object.keys(table)).toEqual(['figure', 'current', 'previous', 'changeAbs', 'changePct']);
    expect(table.figure).toHaveLength(7);
  });
});

/** Grafana's PostgreSQL macros and template variables, expanded the way Grafana does for these panels. */
function expandSql(sql: string, vars: Record<string, string>, range = { from: '2026-11-26T00:00:00Z', to: '2026-11-28T00:00:00Z', intervalSeconds: 300 }): string {
  return sql
    .replace(/\$__timeGroupAlias\((\w+),\s*\$__interval\)/g, (_, col) => `floor(extract(epoch FROM ${col}) / ${range.intervalSeconds}) * ${range.intervalSeconds} AS "time"`)
    .replace(/\$__timeFilter\((\w+)\)/g, (_, col) => `${col} BETWEEN '${range.from}' AND '${range.to}'`)
    .replace(/\$\{(\w+):raw\}/g, (_, name) => {
      if (!(name in vars)) throw new Error(`no value for variable ${name}`);
      return vars[name]!;
    });
}

describe('Postgres panels and variables on real Postgres as the read-only role', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    ignoreTerminationOnDrop(t.db);
    await t.db.none(`
      INSERT INTO amo.account (id, name, subdomain, currency, timezone, raw) VALUES (1, 'Demo', 'demo', 'RUB', 'Europe/Moscow', '{}');
      INSERT INTO app.sync_runs (stream, started_at, finished_at, requests, throttled, error) VALUES
        ('leads', '2026-11-27T10:00:00Z', '2026-11-27T10:01:00Z', 3, 1, NULL),
        ('leads', '2026-11-27T10:02:00Z', '2026-11-27T10:02:30Z', 2, 0, NULL),
        ('events', '2026-11-27T10:00:00Z', '2026-11-27T10:03:00Z', 12, 0, 'HTTP 500 from amoCRM'),
        ('events', '2026-11-20T10:00:00Z', '2026-11-20T10:03:00Z', 99, 9, 'outside the range');
      INSERT INTO kpi.snapshot_days (day, pipeline_id, source, as_of) VALUES
        ('2026-11-25', 0, 'snapshot', '2026-11-25T21:00:00Z'), ('2026-11-24', 0, 'reconstructed', '2026-11-24T21:00:00Z'),
        ('2026-11-22', 0, 'snapshot', '2026-11-22T12:00:00Z');
    `);
  });
  afterAll(() => t.drop());

  const asGrafana = (sql: string) =>
    t.db.tx(async (tx) => {
      await tx.none('SET LOCAL ROLE amokpi_grafana');
      return tx.any(sql);
    });
  const pgPanels = (file: string) => readJson(`dashboards/${file}`).panels.filter((p: any) => p.datasource.uid === 'amokpi-postgres');

  it('ETL health: runs, requests, 429s and run time per stream in the range; errors newest first', async () => {
    const panels = pgPanels('etl-health.json');
    expect(panels).toHaveLength(5);
    const byTitle = async (re: RegExp) => asGrafana(expandSql(panels.find((p: any) => re.test(p.description)).targets[0].rawSql, {}));
    const sum = (rows: any[], stream: string) => rows.filter((r) => r.metric === stream).reduce((a, r) => a + Number(r.value), 0);
    const requests = await byTitle(/^Requests/);
    expect([sum(requests, 'leads'), sum(requests, 'events')]).toEqual([5, 12]);
    const throttled = await byTitle(/^429/);
    expect([sum(throttled, 'leads'), sum(throttled, 'events')]).toEqual([1, 0]);
    const runs = await byTitle(/^Sync runs/);
    expect([sum(runs, 'leads'), sum(runs, 'events')]).toEqual([2, 1]);
    const time = await byTitle(/^Run time/);
    expect(Math.max(...time.filter((r: any) => r.metric === 'events').map((r: any) => Number(r.value)))).toBe(180);
    for (const r of requests) expect(typeof r.time === 'number' || typeof r.time === 'string').toBe(true);
    const errors = await byTitle(/^Failed/);
    expect(errors.map((e: any) => e.error)).toEqual(['HTTP 500 from amoCRM']);
  });

  it('History: the date list starts yesterday in the account zone; the marker tells snapshot from reconstructed', async () => {
    const history = readJson('dashboards/history.json');
    const dateVar = history.templating.list.find((v: any) => v.name === 'date');
    const dates = (await asGrafana(dateVar.query)).map((r: any) => Object.values(r)[0]);
    expect(dates).toHaveLength(400);
    const today = (await t.db.one("SELECT to_char((now() AT TIME ZONE 'Europe/Moscow')::date, 'YYYY-MM-DD') AS d")).d;
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86400000).toISOString().slice(0, 10);
    expect(dates[0]).toBe(yesterday);

    const [marker] = pgPanels('history.json');
    const source = async (date: string, pipeline: string) => (await asGrafana(expandSql(marker.targets[0].rawSql, { date, pipeline })))[0].source;
    expect(await source('2026-11-25', 'all')).toBe('snapshot');
    expect(await source('2026-11-24', 'all')).toBe('reconstructed');
    expect(await source('2026-11-23', 'all')).toBe('reconstructed'); // no snapshot row: computed from the history
    expect(await source('2026-11-25', '10')).toBe('reconstructed'); // snapshots are per pipeline
    expect(await source('2026-11-22', 'all')).toBe('reconstructed'); // frozen at 15:00 Moscow, before the day ended
    const mapped = marker.fieldConfig.defaults.mappings[0].options;
    expect(mapped.snapshot.color).toBe('green');
    expect(mapped.reconstructed.color).toBe('orange');
  });
});
