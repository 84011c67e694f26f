import { ETL_HOST, Session, openSession } from './support/session';

// Real Chromium, real @grafana/ui, the plugin's own editors, a data-proxy stand-in applying the
// BUILT plugin.json's route, and a real `amokpi serve` on real Postgres seeded by hand (support/seed.sql).
jest.setTimeout(180000);

let s: Session;
beforeAll(async () => {
  s = await openSession('sql', { manager: '101' }); // the dashboard's $manager variable = Anna
});
afterAll(async () => {
  await s?.close();
});

describe('config editor', () => {
  it('saves the URL and token, and Save & test explains a wrong token, then reports freshness', async () => {
    await s.page.getByTestId('amokpi-config-url').pressSequentially(`http://${ETL_HOST}/`); // typed, key by key
    await s.page.getByPlaceholder('AMOKPI_API_TOKEN').fill('wrong-token-123');
    const wrong = await s.saveAndTest();
    expect(wrong.status).toBe('error');
    expect(wrong.text).toContain('refused the API token');

    // The saved token comes back only as "configured"; reset it and enter the right one.
    await expect(s.page.getByPlaceholder('AMOKPI_API_TOKEN').inputValue()).resolves.toBe('configured');
    await s.page.getByRole('button', { name: 'Reset' }).click();
    await s.page.getByPlaceholder('AMOKPI_API_TOKEN').fill(s.etl.apiToken);
    const ok = await s.saveAndTest();
    expect(ok).toEqual({ status: 'success', text: 'Connected to amokpi: data is 7 minutes old.' });
    await s.screenshot('config-section', 'config-editor.png');
  });

  it('an ETL that is not running is "cannot reach", not a crash', async () => {
    const url = s.page.getByTestId('amokpi-config-url');
    await url.fill('http://127.0.0.1:9');
    const down = await s.saveAndTest();
    expect(down.status).toBe('error');
    expect(down.text).toMatch(/^Cannot reach the amokpi API \(502\)/);
    await url.fill(`http://${ETL_HOST}/`); // a trailing slash is dropped, so the route still ends in /api
    expect((await s.saveAndTest()).status).toBe('success');
  });
});

describe('query editor against the real KPI API', () => {
  it('clicks choose Tasks and a manager; the query runs through the proxy route with the injected token', async () => {
    await s.choose('amokpi-query-type-input', 'Задачи / Tasks');
    await s.frames(1);
    await s.choose('amokpi-query-manager-input', 'Борис Петров');
    const [frame] = await s.frames(2);
    // seed.sql: Boris has two open tasks on lead 1003 (one due yesterday) and lead 1004 without tasks.
    expect(frame.name).toBe('tasks');
    expect(frame.fields.managerName.values).toEqual(['Борис Петров']);
    expect(frame.fields.openTasks.values).toEqual([2]);
    expect(frame.fields.overdueTasks.values).toEqual([1]);
    expect(frame.fields.leadsWithoutTasks.values).toEqual([1]);
    expect(frame.fields.overdueTasks.displayName).toBe('Просроченные задачи / Overdue tasks');

    const kpiCalls = s.proxy.calls.filter((c) => c.url.includes('/api/v1/kpi/managers'));
    expect(kpiCalls.length).toBeGreaterThan(0);
    for (const call of kpiCalls) {
      expect(call.url.startsWith(`${s.etl.url}/api/v1/kpi/managers`)).toBe(true);
      expect(call.incomingAuthorization).toBeUndefined();
      expect(call.authorization).toBe(`Bearer ${s.etl.apiToken}`);
      expect(call.status).toBe(200);
    }
  });

  it('plan completion for the $manager variable, with the currency and band the API gives', async () => {
    await s.choose('amokpi-query-type-input', 'Выполнение плана / Plan completion');
    await s.frames(3);
    await s.choose('amokpi-query-manager-input', '$manager');
    const [frame] = await s.frames(4);
    // seed.sql + `plans set 2026-03 101 1000000`: Anna won 300 000 + 200 000 of a 1 000 000 plan.
    expect(frame.fields.managerName.values).toEqual(['Анна Смирнова']);
    expect(frame.fields.planAmount.values).toEqual([1000000]);
    expect(frame.fields.wonAmount.values).toEqual([500000]);
    expect(frame.fields.wonCount.values).toEqual([2]);
    expect(frame.fields.completionPct.values).toEqual([50]);
    expect(frame.fields.band.values).toEqual(['red']);
    expect(frame.fields.planRemainder.values).toEqual([500000]);
    // The panel renders them with the API's currency and the band's colour.
    const table = s.page.getByTestId('query-result');
    const text = await table.innerText();
    expect(text).toContain('План / Plan');
    expect(text).toMatch(/₽1(\.0+)?\s?M/); // 1 000 000 in the account currency, scaled as Grafana does
    expect(text).toContain('50.0%');
    expect(text).toContain('Красная зона / Red');
  });

  it('all managers, for the screenshot of a finished panel query', async () => {
    await s.choose('amokpi-query-manager-input', 'Все менеджеры / All managers');
    const [frame] = await s.frames(5);
    expect(frame.fields.managerName.values).toEqual(['Анна Смирнова', 'Борис Петров']);
    await s.screenshot('query-section', 'query-editor.png');
  });

  it('stuck deals with a min-days filter link each deal to amoCRM', async () => {
    await s.choose('amokpi-query-type-input', 'Зависшие сделки / Stuck deals');
    await s.frames(6);
    await s.page.getByTestId('amokpi-query-min-days').fill('30');
    await s.page.getByTestId('amokpi-query-min-days').blur();
    const [frame] = await s.frames(7);
    expect(frame.fields.leadName.values).toEqual(['Крыша склада']);
    expect(frame.fields.daysInStatus.values).toEqual([42]);
    expect(frame.fields.url.values).toEqual(['https://agency.amocrm.ru/leads/detail/1003']);
    // The lead name is a data link that resolves to the row's amoCRM URL.
    await expect(s.page.getByRole('link', { name: 'Крыша склада' }).getAttribute('href')).resolves.toBe(
      'https://agency.amocrm.ru/leads/detail/1003'
    );
    await s.screenshot('query-section', 'query-editor-stuck-deals.png');
  });

  it('"at most (rows)" keeps the longest-stuck deals and is asked of the API', async () => {
    await s.page.getByTestId('amokpi-query-min-days').fill('');
    await s.page.getByTestId('amokpi-query-min-days').blur();
    const [all] = await s.frames(8);
    // seed.sql: Boris's 1003 has sat in Переговоры since 1 Feb (42 days), 1004 in Первичный контакт since 10 Mar (5).
    expect(all.fields.leadName.values).toEqual(['Крыша склада', 'Забор']);
    const limit = s.page.getByTestId('amokpi-query-limit');
    await limit.pressSequentially('1'); // typed, then committed on leaving the field
    await limit.blur();
    const [top] = await s.frames(9);
    expect(top.fields.leadName.values).toEqual(['Крыша склада']);
    expect(top.fields.daysInStatus.values).toEqual([42]);
    const asked = s.proxy.calls.filter((c) => c.url.includes('/api/v1/kpi/stale-deals')).at(-1)!;
    expect(Object.fromEntries(new URL(asked.url).searchParams)).toEqual({ minDays: '0', limit: '1' });
    expect(asked.status).toBe(200);
  });

  it('never showed the token to the browser', () => {
    expect(s.seen.length).toBeGreaterThan(5);
    expect(s.seen.filter((b) => b.includes(s.etl.apiToken))).toEqual([]);
    expect(s.seen.filter((b) => b.startsWith('pageerror'))).toEqual([]);
  });
});
