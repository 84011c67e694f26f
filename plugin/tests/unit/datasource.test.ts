import {
  CoreApp,
  DataFrame,
  DataQueryRequest,
  FieldType,
  ThresholdsMode,
  dateTime,
  getDisplayProcessor,
  createTheme,
  getFieldDisplayName,
} from '@grafana/data';

import { DataSource } from '../../src/datasource';
import { AmokpiQuery } from '../../src/types';
import { Handler, fakeFetch } from '../support/fakeBackend';
import * as fx from '../support/fixtures';
import { instanceSettings } from '../support/settings';
import { FakeTemplateSrv } from '../support/templateSrv';

let mockFetch: ReturnType<typeof fakeFetch>['fetch'];
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: (o: unknown) => mockFetch(o as never) }),
}));

const BASE = '/api/datasources/proxy/uid/amokpi';
const defaultHandlers: Record<string, Handler> = {
  '/api/v1/status': () => fx.status,
  '/api/v1/kpi/managers': () => fx.managersKpi,
  '/api/v1/kpi/activity': () => fx.activity,
  '/api/v1/kpi/stale-deals': () => fx.staleDeals,
  '/api/v1/kpi/department': () => fx.department,
  '/api/v1/managers': () => fx.managers,
  '/api/v1/pipelines': () => fx.pipelines,
};

function setup(handlers: Record<string, Handler> = {}, variables = new FakeTemplateSrv()) {
  const backend = fakeFetch(BASE, { ...defaultHandlers, ...handlers });
  mockFetch = backend.fetch;
  return { ds: new DataSource(instanceSettings(BASE), variables), calls: backend.calls };
}

// 2026-03-14 21:30 UTC is already 2026-03-15 in Moscow: the account zone decides the day.
function request(targets: Array<Partial<AmokpiQuery>>, range = { from: '2026-03-01T00:00:00+03:00', to: '2026-03-14T21:30:00Z' }, rawTo: string = range.to) {
  const from = dateTime(range.from);
  const to = dateTime(range.to);
  return {
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), version: 1, queryType: 'managers', ...t })),
    range: { from, to, raw: { from: range.from, to: rawTo } },
    scopedVars: {},
    timezone: 'browser',
    app: CoreApp.Dashboard,
  } as unknown as DataQueryRequest<AmokpiQuery>;
}

const field = (frame: DataFrame, name: string) => {
  const f = frame.fields.find((x) => x.name === name);
  if (!f) {
    throw new Error(`no field ${name} in ${frame.fields.map((x) => x.name)}`);
  }
  return f;
};
const params = (call: string) => Object.fromEntries(new URL(call, 'http://g').searchParams);

describe('managers query', () => {
  it('builds the plan-completion table with API field names, bilingual names, currency and band thresholds', async () => {
    const { ds, calls } = setup();
    const res = await ds.query(request([{ queryType: 'managers' }]));
    expect(res.errors).toBeUndefined();
    const frame = res.data[0] as DataFrame;
    expect(frame.refId).toBe('A');
    expect(frame.fields.map((f) => f.name)).toEqual([
      'managerId', 'managerName', 'planAmount', 'wonAmount', 'wonCount', 'completionPct', 'band', 'planRemainder',
      'openTasks', 'overdueTasks', 'leadsWithoutTasks',
    ]);
    expect(field(frame, 'managerName').values).toEqual(['Анна', 'Борис', 'Вера']);
    expect(field(frame, 'planAmount').values).toEqual([1000000, null, 500000]);
    expect(field(frame, 'planAmount').config.displayName).toBe('План / Plan');
    expect(getFieldDisplayName(field(frame, 'wonAmount'), frame)).toBe('Выиграно / Won');
    expect(field(frame, 'wonAmount').config.unit).toBe('currencyRUB');
    const pct = field(frame, 'completionPct');
    expect(pct.type).toBe(FieldType.number);
    expect(pct.config.unit).toBe('percent');
    // Bands come from the API's answer (70/90 here), not hard-coded 80/100.
    expect(pct.config.thresholds).toEqual({
      mode: ThresholdsMode.Absolute,
      steps: [
        { value: -Infinity, color: 'red' },
        { value: 70, color: 'yellow' },
        { value: 90, color: 'green' },
      ],
    });
    // The date asked for is the range's end as a day in the account zone (Moscow), not UTC's 14th.
    const kpiCall = calls.find((c) => c.includes('/kpi/managers'))!;
    expect(kpiCall.startsWith(`${BASE}/api/v1/kpi/managers?`)).toBe(true);
    expect(params(kpiCall)).toEqual({ date: '2026-03-15' });
  });

  it('renders amounts and completion the way a panel would (display processor)', async () => {
    const { ds } = setup();
    const frame: DataFrame = (await ds.query(request([{ queryType: 'managers' }]))).data[0] as DataFrame;
    const theme = createTheme();
    const pct = field(frame, 'completionPct');
    const display = getDisplayProcessor({ field: pct, theme });
    expect(display(95)).toMatchObject({ text: '95.0', suffix: '%' });
    expect(display(95).color).toBe(theme.visualization.getColorByName('green'));
    expect(display(75).color).toBe(theme.visualization.getColorByName('yellow'));
    expect(display(50).color).toBe(theme.visualization.getColorByName('red'));
    const won = getDisplayProcessor({ field: field(frame, 'wonAmount'), theme })(950000);
    expect(`${won.prefix ?? ''}${won.text}${won.suffix ?? ''}`).toBe('₽950K');
    // A plan of 2.5 million must not be rounded to "₽3M".
    const plan = getDisplayProcessor({ field: field(frame, 'planAmount'), theme })(2500000);
    expect(`${plan.prefix ?? ''}${plan.text}${plan.suffix ?? ''}`).toMatch(/^₽2\.50? ?M/);
    const band = getDisplayProcessor({ field: field(frame, 'band'), theme })('yellow');
    expect(band.text).toBe('Жёлтая зона / Yellow');
  });

  it('omits the date when the range ends "now", so the server uses its own today', async () => {
    const { ds, calls } = setup();
    await ds.query(request([{ queryType: 'managers' }], undefined, 'now'));
    expect(params(calls.find((c) => c.includes('/kpi/managers'))!)).toEqual({});
  });

  it("omits the date when the range ends after the server's now (AMOKPI_NOW), e.g. \"this month\"", async () => {
    const { ds, calls } = setup({ '/api/v1/status': () => ({ ...fx.status, now: '2026-03-15T12:00:00+03:00' }) });
    await ds.query(request([{ queryType: 'department' }], { from: '2026-02-28T21:00:00Z', to: '2026-03-31T20:59:59Z' }));
    expect(params(calls.find((c) => c.includes('/kpi/department'))!)).toEqual({});
  });

  describe('a browser tab left open for days (one data source instance)', () => {
    let clock = 0;
    beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => clock));
    afterEach(() => jest.restoreAllMocks());
    // The API's clock is the real one: its "now" is the moment it answers.
    const live = () => ({ ...fx.status, now: new Date(Date.now()).toISOString() });
    // Grafana's "Today" (now/d) and "Yesterday" (now-1d/d), as days in Moscow (UTC+3).
    const today = (day: string) => [{ queryType: 'department' as const }].map((t) => ({ t, range: { from: `${day}T00:00:00+03:00`, to: `${day}T23:59:59.999+03:00` }, raw: 'now/d' }))[0];
    const yesterday = (day: string) => ({ ...today(day), raw: 'now-1d/d' });
    const ask = async (ds: DataSource, calls: string[], q: ReturnType<typeof today>) => {
      const n = calls.length;
      const res = await ds.query(request([q.t], q.range, q.raw));
      expect(res.errors).toBeUndefined();
      return params(calls.slice(n).find((c) => c.includes('/kpi/department'))!).date ?? null;
    };

    it('"Yesterday" after midnight asks for yesterday, not the server\'s today', async () => {
      clock = Date.parse('2026-03-16T20:00:00Z'); // 23:00 in Moscow
      const { ds, calls } = setup({ '/api/v1/status': live });
      expect(await ask(ds, calls, today('2026-03-16'))).toBeNull();
      expect(await ask(ds, calls, yesterday('2026-03-15'))).toBe('2026-03-15');
      clock = Date.parse('2026-03-17T06:00:00Z'); // 09:00 the next morning, same tab
      expect(await ask(ds, calls, yesterday('2026-03-16'))).toBe('2026-03-16');
      expect(await ask(ds, calls, today('2026-03-17'))).toBeNull();
    });

    it('zone and currency are asked once; the server clock is kept as an offset and re-read at most once a minute', async () => {
      // A server clock 10 minutes behind the browser's.
      const { ds, calls } = setup({ '/api/v1/status': () => ({ ...fx.status, now: new Date(Date.now() - 10 * 60_000).toISOString() }) });
      const statusCalls = () => calls.filter((c) => c.endsWith('/api/v1/status')).length;
      clock = Date.parse('2026-03-16T20:45:00Z');
      expect(await ask(ds, calls, today('2026-03-16'))).toBeNull();
      expect(statusCalls()).toBe(1);
      clock += 30_000;
      expect(await ask(ds, calls, yesterday('2026-03-15'))).toBe('2026-03-15');
      expect(statusCalls()).toBe(1);
      // 00:09:45 in Moscow for the browser, 23:59:45 for the server: the 16th is still its today.
      clock = Date.parse('2026-03-16T21:09:45Z');
      expect(await ask(ds, calls, yesterday('2026-03-16'))).toBeNull();
      expect(statusCalls()).toBe(2);
      // 30 s later, without asking again, the server is known to be past its midnight.
      clock += 30_000;
      expect(await ask(ds, calls, yesterday('2026-03-16'))).toBe('2026-03-16');
      expect(statusCalls()).toBe(2);
      // Currency (and zone) still come from the first answer; no new request for them.
      const frame: DataFrame = (await ds.query(request([{ queryType: 'managers' }], undefined, 'now'))).data[0];
      expect(field(frame, 'wonAmount').config.unit).toBe('currencyRUB');
      expect(statusCalls()).toBe(2);
    });
  });

  it('interpolates $pipeline and a date variable, and filters rows by a multi-value $manager', async () => {
    const vars = new FakeTemplateSrv([
      { name: 'pipeline', current: '7' },
      { name: 'manager', current: ['11', '13'] },
      { name: 'asof', current: '2026-02-28' },
    ]);
    const { ds, calls } = setup({}, vars);
    const res = await ds.query(request([{ queryType: 'managers', pipelineId: '$pipeline', managerId: '${manager}', date: '$asof' }]));
    expect(params(calls.find((c) => c.includes('/kpi/managers'))!)).toEqual({ date: '2026-02-28', pipelineId: '7' });
    expect(field(res.data[0], 'managerId').values).toEqual([11, 13]);
  });

  it('treats "All" (every option or $__all) as no manager filter', async () => {
    const vars = new FakeTemplateSrv([{ name: 'manager', current: '$__all', options: [] }]);
    const { ds } = setup({}, vars);
    const res = await ds.query(request([{ queryType: 'managers', managerId: '$manager' }]));
    expect(field(res.data[0], 'managerId').values).toEqual([11, 12, 13]);
  });

  it('tasks: the task columns per manager', async () => {
    const { ds } = setup();
    const frame: DataFrame = (await ds.query(request([{ queryType: 'tasks', managerId: '12' }]))).data[0];
    expect(frame.fields.map((f) => f.name)).toEqual(['managerName', 'openTasks', 'overdueTasks', 'leadsWithoutTasks']);
    expect(frame.fields.map((f) => f.values[0])).toEqual(['Борис', 3, 0, 5]);
    expect(field(frame, 'overdueTasks').config.displayName).toBe('Просроченные задачи / Overdue tasks');
  });
});

describe('other query types', () => {
  it('activity: the dashboard range in account days, a long frame with day starts in the account zone', async () => {
    const vars = new FakeTemplateSrv([{ name: 'manager', current: '11' }]);
    const { ds, calls } = setup({}, vars);
    const frame: DataFrame = (await ds.query(request([{ queryType: 'activity', managerId: '$manager' }]))).data[0];
    expect(params(calls.find((c) => c.includes('/kpi/activity'))!)).toEqual({ from: '2026-03-01', to: '2026-03-15', managerId: '11' });
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['date', FieldType.time],
      ['managerName', FieldType.string],
      ['callMinutes', FieldType.number],
      ['messages', FieldType.number],
      ['activityMinutes', FieldType.number],
    ]);
    // 2026-03-01 00:00 in Moscow (UTC+3) is 2026-02-28 21:00 UTC.
    expect(field(frame, 'date').values[0]).toBe(Date.parse('2026-02-28T21:00:00Z'));
    expect(field(frame, 'managerName').values).toEqual(['Анна', 'Анна']); // Борис filtered out client-side too
  });

  it('stale deals: min days and filters as parameters, a data link from the lead name to amoCRM', async () => {
    const { ds, calls } = setup();
    const frame: DataFrame = (await ds.query(request([{ queryType: 'staleDeals', minDays: 7, managerId: '11', pipelineId: '7' }]))).data[0];
    expect(params(calls.find((c) => c.includes('/kpi/stale-deals'))!)).toEqual({ minDays: '7', managerId: '11', pipelineId: '7' });
    expect(field(frame, 'leadName').values).toEqual(['Окна для школы']);
    const link = field(frame, 'leadName').config.links![0];
    expect(link.url).toBe('${__data.fields.url}');
    expect(field(frame, 'url').values).toEqual(['https://agency.amocrm.ru/leads/detail/501']);
    expect(field(frame, 'url').config.custom).toEqual({ hidden: true });
    expect(field(frame, 'price').config.unit).toBe('currencyRUB');
    expect(field(frame, 'enteredAt').values).toEqual([Date.parse('2026-02-22T07:00:00Z')]);
  });

  it('stale deals: limit is passed to the API only when set', async () => {
    const { ds, calls } = setup();
    await ds.query(request([{ queryType: 'staleDeals', limit: 50 }, { queryType: 'staleDeals', minDays: 7 }]));
    const asked = calls.filter((c) => c.includes('/kpi/stale-deals')).map(params);
    expect(asked).toEqual([{ minDays: '0', limit: '50' }, { minDays: '7' }]);
  });

  describe('stale deals with several managers and a limit', () => {
    // A stand-in for the API's contract: one managerId filter, longest-stuck first (ties by lead id), then limit.
    const deal = (leadId: number, managerId: number, daysInStatus: number) => ({ ...fx.staleDeals.rows[0], leadId, managerId, daysInStatus });
    const all = [deal(1, 11, 40), deal(2, 12, 40), deal(3, 13, 90), deal(4, 11, 30), deal(5, 12, 50), deal(6, 11, 10), deal(7, 12, 5)];
    const api: Handler = (p) => {
      const manager = p.get('managerId');
      const rows = all
        .filter((r) => manager === null || r.managerId === Number(manager))
        .sort((a, b) => b.daysInStatus - a.daysInStatus || a.leadId - b.leadId);
      return { asOf: fx.staleDeals.asOf, rows: p.has('limit') ? rows.slice(0, Number(p.get('limit'))) : rows };
    };
    const run = async (limit?: number) => {
      const vars = new FakeTemplateSrv([{ name: 'manager', current: ['11', '12', '11'] }]);
      const { ds, calls } = setup({ '/api/v1/kpi/stale-deals': api }, vars);
      const res = await ds.query(request([{ queryType: 'staleDeals', managerId: '$manager', limit }]));
      return { frame: res.data[0] as DataFrame, asked: calls.filter((c) => c.includes('/kpi/stale-deals')).map(params) };
    };

    it("asks each manager for their longest-stuck N and merges them in the API's order", async () => {
      const { frame, asked } = await run(3);
      // Manager 13's 90-day deal is not theirs to see; 40 days ties between leads 1 and 2, lead id first.
      expect(field(frame, 'leadId').values).toEqual([5, 1, 2]);
      expect(field(frame, 'daysInStatus').values).toEqual([50, 40, 40]);
      expect(asked).toEqual([
        { minDays: '0', managerId: '11', limit: '3' },
        { minDays: '0', managerId: '12', limit: '3' },
      ]);
    });

    it('without a limit, one request for every row, filtered to the managers here', async () => {
      const { frame, asked } = await run(undefined);
      expect(field(frame, 'leadId').values).toEqual([5, 1, 2, 4, 6, 7]);
      expect(asked).toEqual([{ minDays: '0' }]);
    });
  });

  it('department: one row per figure and a wide one-row frame', async () => {
    const { ds } = setup();
    const [long, wide] = (await ds.query(request([{ queryType: 'department', date: '2026-03-31' }]))).data as DataFrame[];
    expect(long.fields.map((f) => f.name)).toEqual(['figureId', 'figure', 'current', 'previous', 'changeAbs', 'changePct']);
    expect(field(long, 'figureId').values[0]).toBe('wonAmount');
    expect(field(long, 'figure').values[0]).toBe('Выиграно / Won');
    expect(field(long, 'current').values[0]).toBe(1200000);
    expect(field(long, 'previous').values[0]).toBe(800000);
    expect(field(long, 'changePct').values).toEqual([50, 20, 25, 20, 11.1, null, null]);
    expect(wide.length).toBe(1);
    expect(field(wide, 'wonAmount').config.unit).toBe('currencyRUB');
    expect(field(wide, 'wonCount').config.unit).toBeUndefined();
    expect(field(wide, 'wonAmountPrevious').values).toEqual([800000]);
    expect(field(wide, 'wonAmountChangePct').values).toEqual([50]);
  });

  it('sync health: one row per stream with the data lag', async () => {
    const { ds } = setup();
    const frame: DataFrame = (await ds.query(request([{ queryType: 'syncHealth' }]))).data[0];
    expect(frame.fields.map((f) => f.name)).toEqual(['stream', 'startedAt', 'finishedAt', 'rows', 'requests', 'error', 'lagSeconds']);
    expect(field(frame, 'stream').values).toEqual(['leads', 'events']);
    expect(field(frame, 'finishedAt').values).toEqual([Date.parse('2026-03-15T08:53:00Z'), null]);
    expect(field(frame, 'error').values).toEqual([null, 'amoCRM answered 502']);
    expect(field(frame, 'lagSeconds').values).toEqual([420, 420]);
  });

  it('sync health also reads streams keyed by name', async () => {
    const { ds } = setup({
      '/api/v1/status': () => ({ streams: { users: { finishedAt: '2026-03-15T08:00:00Z', rows: 5, requests: 1, error: null } }, lagSeconds: 60 }),
    });
    const frame: DataFrame = (await ds.query(request([{ queryType: 'syncHealth' }]))).data[0];
    expect(field(frame, 'stream').values).toEqual(['users']);
    expect(field(frame, 'rows').values).toEqual([5]);
  });
});

describe('errors become readable query errors', () => {
  it('a wrong token (401, or the data proxy\'s 400 rewrite) says to check the token; other queries still answer', async () => {
    const { ds } = setup({
      '/api/v1/kpi/stale-deals': () => ({ status: 400, data: 'Authentication to data source failed' }),
      '/api/v1/kpi/department': () => ({ status: 401, data: { status: 401, title: 'Unauthorized', detail: 'missing or wrong token' } }),
    });
    const res = await ds.query(request([{ queryType: 'managers' }, { queryType: 'staleDeals' }, { queryType: 'department' }]));
    expect(res.data).toHaveLength(1);
    expect(res.errors).toEqual([
      { refId: 'B', status: 400, message: expect.stringContaining('refused the API token') },
      { refId: 'C', status: 401, message: expect.stringContaining('check the token in the data source settings') },
    ]);
  });

  it('bad input (400 problem+json) shows the API\'s detail', async () => {
    const { ds } = setup({
      '/api/v1/kpi/activity': () => ({ status: 400, data: { status: 400, title: 'Bad Request', detail: 'range over 366 days' } }),
    });
    const res = await ds.query(request([{ queryType: 'activity' }]));
    expect(res.errors![0].message).toBe('The amokpi API rejected the query: range over 366 days.');
  });

  it('an unreachable ETL (proxy 502) says so', async () => {
    const { ds } = setup({ '/api/v1/kpi/managers': () => ({ status: 502, data: '' }) });
    const res = await ds.query(request([{ queryType: 'managers' }]));
    expect(res.errors![0].message).toMatch(/^Cannot reach the amokpi API \(502\)/);
  });

  it('an unexpected payload names the endpoint instead of crashing the panel', async () => {
    const { ds } = setup({ '/api/v1/kpi/managers': () => ({ rows: 'nope' }) });
    const res = await ds.query(request([{ queryType: 'managers' }]));
    expect(res.errors![0].message).toMatch(/answered \/api\/v1\/kpi\/managers with data this plugin does not understand/);
  });

  it('a variable that does not hold ids is rejected before any request', async () => {
    const vars = new FakeTemplateSrv([{ name: 'manager', current: 'Анна' }]);
    const { ds, calls } = setup({}, vars);
    const res = await ds.query(request([{ queryType: 'staleDeals', managerId: '$manager' }]));
    expect(res.errors![0].message).toBe(
      'Manager "$manager" is "Анна", which is not a manager id: pick one from the list or a variable holding ids.'
    );
    expect(calls.filter((c) => c.includes('stale-deals'))).toEqual([]);
  });

  it.each([0, 2.5, 10001, -5])('a limit of %p is refused before any request', async (limit) => {
    const { ds, calls } = setup();
    const res = await ds.query(request([{ queryType: 'staleDeals', limit }]));
    expect(res.errors).toEqual([
      {
        refId: 'A',
        status: undefined,
        message: `At most (rows) must be a whole number from 1 to 10000, or empty for every row (got ${limit}).`,
      },
    ]);
    expect(calls.filter((c) => c.includes('stale-deals'))).toEqual([]);
  });

  it('several pipelines at once and malformed dates are refused with a reason', async () => {
    const vars = new FakeTemplateSrv([{ name: 'pipeline', current: ['7', '8'] }]);
    const { ds } = setup({}, vars);
    const res = await ds.query(request([{ queryType: 'department', pipelineId: '$pipeline' }, { queryType: 'managers', date: '15.03.2026' }]));
    expect(res.errors!.map((e) => e.message)).toEqual([
      'Pipeline "$pipeline" has 2 values: choose one pipeline or "All".',
      'Date "15.03.2026" is "15.03.2026", not a date like 2026-03-31.',
    ]);
  });
});

describe('test data source, variables, migrations on the way in', () => {
  it('Save & test reports freshness in plain words', async () => {
    const { ds, calls } = setup();
    await expect(ds.testDatasource()).resolves.toEqual({ status: 'success', message: 'Connected to amokpi: data is 7 minutes old.' });
    expect(calls).toEqual([`${BASE}/api/v1/status`]);
  });

  it.each([
    [{ status: 400, data: 'Authentication to data source failed' }, /refused the API token/],
    [{ status: 502, data: '' }, /Cannot reach the amokpi API/],
    [{ status: 404, data: '' }, /has no \/api\/v1\/status \(404\)/],
  ])('Save & test explains failures: %j', async (answer, message) => {
    const { ds } = setup({ '/api/v1/status': () => answer });
    const result = await ds.testDatasource();
    expect(result.status).toBe('error');
    expect(result.message).toMatch(message);
  });

  it('metricFindQuery lists managers and pipelines as text/value pairs', async () => {
    const { ds } = setup();
    await expect(ds.metricFindQuery('managers')).resolves.toEqual([
      { text: 'Анна', value: '11' },
      { text: 'Борис', value: '12' },
      { text: 'Вера', value: '13' },
    ]);
    await expect(ds.metricFindQuery({ query: 'Pipelines' })).resolves.toEqual([
      { text: 'Продажи', value: '7' },
      { text: 'Тендеры', value: '8' },
    ]);
    await expect(ds.metricFindQuery('deals')).rejects.toThrow('use "managers" or "pipelines"');
  });

  it('runs an unversioned saved query after migrating it', async () => {
    const { ds, calls } = setup();
    const legacy = { refId: 'A', queryType: 'stale-deals', minDays: '3', managerId: 11 } as unknown as AmokpiQuery;
    const res = await ds.query({ ...request([]), targets: [legacy] });
    expect(res.data[0].name).toBe('staleDeals');
    expect(params(calls.find((c) => c.includes('stale-deals'))!)).toEqual({ minDays: '3', managerId: '11' });
  });

  it('runs a hand-written version-1 query whose limit is text', async () => {
    const { ds, calls } = setup();
    const written = { refId: 'A', version: 1, queryType: 'staleDeals', limit: ' 50 ' } as unknown as AmokpiQuery;
    await ds.query({ ...request([]), targets: [written] });
    expect(params(calls.find((c) => c.includes('stale-deals'))!)).toEqual({ minDays: '0', limit: '50' });
  });

  it('runs a hand-written version-1 query whose manager and pipeline ids are numbers', async () => {
    const { ds, calls } = setup();
    const written = { refId: 'A', version: 1, queryType: 'staleDeals', managerId: 11, pipelineId: 7 } as unknown as AmokpiQuery;
    const res = await ds.query({ ...request([]), targets: [written] });
    expect(res.errors).toBeUndefined();
    expect(params(calls.find((c) => c.includes('stale-deals'))!)).toEqual({ minDays: '0', managerId: '11', pipelineId: '7' });
    const [q] = ds.interpolateVariablesInQueries([written], {});
    expect(q).toMatchObject({ managerId: '11', pipelineId: '7' });
  });

  it('interpolateVariablesInQueries replaces variables for Explore and the inspector', () => {
    const vars = new FakeTemplateSrv([{ name: 'manager', current: '12' }]);
    const { ds } = setup({}, vars);
    const [q] = ds.interpolateVariablesInQueries([{ refId: 'A', version: 1, queryType: 'tasks', managerId: '$manager' }], {});
    expect(q.managerId).toBe('12');
  });

  it('skips hidden queries', async () => {
    const { ds, calls } = setup();
    const res = await ds.query(request([{ queryType: 'managers', hide: true }]));
    expect(res.data).toEqual([]);
    expect(calls).toEqual([]);
  });
});
