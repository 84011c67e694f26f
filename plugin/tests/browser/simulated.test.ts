import { FROZEN_NOW } from './support/etl';
import { Frames, Session, configure, openSession } from './support/session';

// The real ETL path end to end: `amokpi simulator` → `amokpi sync --full` → `amokpi serve`, then every
// query type chosen by clicks in the browser must show exactly what the API answers directly.
jest.setTimeout(240000);

let s: Session;
let api: <T = any>(path: string) => Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
let managers: Array<{ id: number; name: string; isActive: boolean }>;
let run = 0;

beforeAll(async () => {
  s = await openSession('simulator', { to: FROZEN_NOW });
  api = async (path) => {
    const res = await fetch(`${s.etl.url}${path}`, { headers: { Authorization: `Bearer ${s.etl.apiToken}` } });
    expect(res.status).toBe(200);
    return res.json();
  };
  managers = await api('/api/v1/managers');
  // A plan for the first active manager, entered through the admin API as the plan page would.
  const res = await fetch(`${s.etl.url}/api/v1/plans/2026-03/${managers.find((m) => m.isActive)!.id}`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${s.etl.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ amount: 2500000 }),
  });
  expect(res.status).toBe(200);
  await configure(s);
});
afterAll(async () => {
  await s?.close();
});

async function show(type: string): Promise<Frames> {
  await s.choose('amokpi-query-type-input', type);
  return s.frames(++run);
}

const column = <T>(rows: T[], key: keyof T) => rows.map((r) => r[key]);

it('the synced account has managers, deals and a fresh sync', async () => {
  expect(managers.length).toBeGreaterThanOrEqual(4);
  const status = await api('/api/v1/status');
  expect(status.streams.length).toBeGreaterThanOrEqual(5);
});

it('plan completion: every field of every manager equals the API', async () => {
  const [frame] = await show('Выполнение плана / Plan completion');
  const direct = await api('/api/v1/kpi/managers'); // the range ends at the ETL's now: no date, like the plugin
  expect(direct.rows.length).toBeGreaterThanOrEqual(3);
  for (const key of Object.keys(direct.rows[0])) {
    expect({ key, values: frame.fields[key].values }).toEqual({ key, values: column(direct.rows, key) });
  }
  expect(direct.rows.some((r: { planAmount: number | null }) => r.planAmount === 2500000)).toBe(true);
  await s.screenshot('query-section', 'query-editor-synced-account.png');
});

it('activity over the dashboard range (30 days to the frozen now), days as account-zone midnights', async () => {
  const [frame] = await show('Активность / Activity');
  const direct = await api('/api/v1/kpi/activity?from=2026-02-13&to=2026-03-15');
  expect(direct.rows.length).toBeGreaterThan(30);
  for (const key of ['managerName', 'callMinutes', 'messages', 'activityMinutes']) {
    expect({ key, values: frame.fields[key].values }).toEqual({ key, values: column(direct.rows, key) });
  }
  expect(frame.fields.date.values).toEqual(direct.rows.map((r: { date: string }) => Date.parse(`${r.date}T00:00:00+03:00`)));
});

it('stuck deals of a manager picked by click, at least 14 days in the stage', async () => {
  const target = managers.find((m) => m.isActive)!;
  await show('Зависшие сделки / Stuck deals');
  await s.choose('amokpi-query-manager-input', target.name);
  await s.frames(++run);
  await s.page.getByTestId('amokpi-query-min-days').fill('14');
  await s.page.getByTestId('amokpi-query-min-days').blur();
  const [frame] = await s.frames(++run);
  const direct = await api(`/api/v1/kpi/stale-deals?minDays=14&managerId=${target.id}`);
  expect(direct.rows.length).toBeGreaterThan(0);
  for (const key of ['leadId', 'leadName', 'managerName', 'pipelineName', 'statusName', 'price', 'daysInStatus', 'url']) {
    expect({ key, values: frame.fields[key].values }).toEqual({ key, values: column(direct.rows, key) });
  }
});

it('at most 3 stuck deals of every manager: the first 3 of the full list, cut by the API', async () => {
  await s.choose('amokpi-query-manager-input', 'Все менеджеры / All managers');
  await s.frames(++run);
  await s.page.getByTestId('amokpi-query-limit').fill('3');
  await s.page.getByTestId('amokpi-query-limit').blur();
  const [frame] = await s.frames(++run);
  const direct = await api('/api/v1/kpi/stale-deals?minDays=14');
  expect(direct.rows.length).toBeGreaterThan(3);
  expect(frame.fields.leadId.values).toEqual(column(direct.rows.slice(0, 3), 'leadId'));
  const asked = s.proxy.calls.filter((c) => c.url.includes('/api/v1/kpi/stale-deals')).at(-1)!;
  expect(new URL(asked.url).searchParams.get('limit')).toBe('3');
});

it('department: current, previous and change of every figure equal the API', async () => {
  const [long, wide] = await show('Отдел / Department');
  const direct = await api('/api/v1/kpi/department');
  const ids = long.fields.figureId.values as string[];
  expect(long.fields.current.values).toEqual(ids.map((f) => direct.current[f]));
  expect(long.fields.previous.values).toEqual(ids.map((f) => direct.previous[f]));
  expect(long.fields.changePct.values).toEqual(ids.map((f) => direct.change[f].pct));
  expect(wide.fields.wonAmount.values).toEqual([direct.current.wonAmount]);
});

it('sync health lists the streams the sync wrote, with the data lag', async () => {
  const [frame] = await show('Синхронизация / Sync health');
  const direct = await api('/api/v1/status');
  expect(frame.fields.stream.values).toEqual(column(direct.streams, 'stream'));
  expect(frame.fields.rows.values).toEqual(column(direct.streams, 'rows'));
  expect(frame.fields.lagSeconds.values[0]).toBe(direct.dataLagSeconds);
});

it('never showed the token to the browser and threw no page errors', () => {
  expect(s.seen.filter((b) => b.includes(s.etl.apiToken))).toEqual([]);
  expect(s.seen.filter((b) => b.startsWith('pageerror'))).toEqual([]);
});
