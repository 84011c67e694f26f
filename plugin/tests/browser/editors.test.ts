import fs from 'fs';
import os from 'os';
import path from 'path';
import { Browser, Page, chromium } from 'playwright-core';

import { bundleHarness } from './support/bundle';
import { DataProxy, PluginRoute, startDataProxy } from './support/dataProxy';
import { Etl, startEtl } from './support/etl';

// Real Chromium, real @grafana/ui, the plugin's own editors, a data-proxy stand-in applying the
// BUILT plugin.json's route, and a real `amokpi serve` on real Postgres (support/seed.sql).
jest.setTimeout(180000);

const PLUGIN = path.join(__dirname, '..', '..');
const ARTIFACTS = path.join(PLUGIN, 'test-artifacts');
const SCREENSHOTS = path.join(PLUGIN, '..', 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ETL_HOST = 'amokpi:8080';

let etl: Etl;
let proxy: DataProxy;
let browser: Browser;
let page: Page;
const bodiesSeenByBrowser: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium (.ci/run does)`);
  }
  const pluginJson = JSON.parse(fs.readFileSync(path.join(PLUGIN, 'dist', 'plugin.json'), 'utf8'));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-harness-'));
  const [bundle] = await Promise.all([bundleHarness(out), startEtl().then((e) => (etl = e))]);
  fs.writeFileSync(
    path.join(out, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>amokpi plugin harness</title>' +
      '<link rel="stylesheet" href="/harness.css"></head><body><div id="root"></div><script src="/harness.js"></script></body></html>'
  );
  proxy = await startDataProxy({
    uid: 'amokpi',
    type: pluginJson.id,
    routes: pluginJson.routes as PluginRoute[],
    staticFiles: { '/': path.join(out, 'index.html'), '/harness.js': bundle, '/harness.css': bundle.replace(/\.js$/, '.css') },
    staticDirs: { '/public/build/img/icons/': path.dirname(require.resolve('@grafana/ui/package.json')) + '/dist/public/img/icons/' },
    // The user types the ETL's service name, as in docker-compose; the stand-in resolves it to the test's port.
    hosts: { [ETL_HOST]: new URL(etl.url).host },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('response', async (res) => {
    try {
      bodiesSeenByBrowser.push(`${res.url()} ${await res.text()}`);
    } catch {
      // redirects and aborted requests have no body
    }
  });
  page.on('pageerror', (err) => bodiesSeenByBrowser.push(`pageerror ${err.message}`));
  await page.goto(`${proxy.url}/?manager=101`);
  await page.getByText('amokpi KPI API').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await etl?.stop();
});

async function screenshot(section: string, name: string) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur()); // no focus rings in the picture
  await page.getByTestId(section).screenshot({ path: file });
  fs.copyFileSync(file, path.join(SCREENSHOTS, name));
}

async function saveAndTest(): Promise<{ status: string | null; text: string }> {
  await page.getByRole('button', { name: 'Save & test' }).click();
  const result = page.getByTestId('test-result');
  await result.waitFor();
  return { status: await result.getAttribute('data-status'), text: await result.innerText() };
}

/** Opens a @grafana/ui Select by clicking it and clicks the option with this label, as a person would. */
async function choose(inputId: string, option: string) {
  await page.locator(`#${inputId}`).click();
  await page.getByRole('option', { name: option }).or(page.locator('[aria-label="Select option"]', { hasText: option })).first().click();
}

async function runAndRead(run: number) {
  await page.locator(`[data-testid="query-result"][data-answered="${run}"]`).waitFor({ timeout: 15000 });
  return page.evaluate(() => window.harness.frames()) as Promise<Array<{ name: string; fields: Record<string, { values: unknown[]; displayName: string }> }>>;
}

describe('config editor', () => {
  it('saves the URL and token, and Save & test explains a wrong token, then reports freshness', async () => {
    await page.getByTestId('amokpi-config-url').pressSequentially(`http://${ETL_HOST}/`); // typed, key by key
    await page.getByPlaceholder('AMOKPI_API_TOKEN').fill('wrong-token-123');
    const wrong = await saveAndTest();
    expect(wrong.status).toBe('error');
    expect(wrong.text).toContain('refused the API token');

    // The saved token comes back only as "configured"; reset it and enter the right one.
    await expect(page.getByPlaceholder('AMOKPI_API_TOKEN').inputValue()).resolves.toBe('configured');
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.getByPlaceholder('AMOKPI_API_TOKEN').fill(etl.apiToken);
    const ok = await saveAndTest();
    expect(ok).toEqual({ status: 'success', text: 'Connected to amokpi: data is 7 minutes old.' });
    await screenshot('config-section', 'config-editor.png');
  });

  it('an ETL that is not running is "cannot reach", not a crash', async () => {
    const url = page.getByTestId('amokpi-config-url');
    await url.fill('http://127.0.0.1:9');
    const down = await saveAndTest();
    expect(down.status).toBe('error');
    expect(down.text).toMatch(/^Cannot reach the amokpi API \(502\)/);
    await url.fill(`http://${ETL_HOST}/`); // a trailing slash is dropped, so the route still ends in /api
    expect((await saveAndTest()).status).toBe('success');
  });
});

describe('query editor against the real KPI API', () => {
  it('clicks choose Tasks and a manager; the query runs through the proxy route with the injected token', async () => {
    await choose('amokpi-query-type-input', 'Задачи / Tasks');
    await runAndRead(1);
    await choose('amokpi-query-manager-input', 'Борис Петров');
    const [frame] = await runAndRead(2);
    // seed.sql: Boris has two open tasks on lead 1003 (one due yesterday) and lead 1004 without tasks.
    expect(frame.name).toBe('tasks');
    expect(frame.fields.managerName.values).toEqual(['Борис Петров']);
    expect(frame.fields.openTasks.values).toEqual([2]);
    expect(frame.fields.overdueTasks.values).toEqual([1]);
    expect(frame.fields.leadsWithoutTasks.values).toEqual([1]);
    expect(frame.fields.overdueTasks.displayName).toBe('Просроченные задачи / Overdue tasks');

    const kpiCalls = proxy.calls.filter((c) => c.url.includes('/api/v1/kpi/managers'));
    expect(kpiCalls.length).toBeGreaterThan(0);
    for (const call of kpiCalls) {
      expect(call.url.startsWith(`${etl.url}/api/v1/kpi/managers`)).toBe(true);
      expect(call.incomingAuthorization).toBeUndefined();
      expect(call.authorization).toBe(`Bearer ${etl.apiToken}`);
      expect(call.status).toBe(200);
    }
  });

  it('plan completion for the $manager variable, with the currency and band the API gives', async () => {
    await choose('amokpi-query-type-input', 'Выполнение плана / Plan completion');
    await runAndRead(3);
    await choose('amokpi-query-manager-input', '$manager');
    const [frame] = await runAndRead(4);
    // seed.sql + `plans set 2026-03 101 1000000`: Anna won 300 000 + 200 000 of a 1 000 000 plan.
    expect(frame.fields.managerName.values).toEqual(['Анна Смирнова']);
    expect(frame.fields.planAmount.values).toEqual([1000000]);
    expect(frame.fields.wonAmount.values).toEqual([500000]);
    expect(frame.fields.wonCount.values).toEqual([2]);
    expect(frame.fields.completionPct.values).toEqual([50]);
    expect(frame.fields.band.values).toEqual(['red']);
    expect(frame.fields.planRemainder.values).toEqual([500000]);
    // The panel renders them with the API's currency and the band's colour.
    const table = page.getByTestId('query-result');
    const text = await table.innerText();
    expect(text).toContain('План / Plan');
    expect(text).toMatch(/₽1(\.0+)?\s?M/); // 1 000 000 in the account currency, scaled as Grafana does
    expect(text).toContain('50.0%');
    expect(text).toContain('Красная зона / Red');
  });

  it('all managers, for the screenshot of a finished panel query', async () => {
    await choose('amokpi-query-manager-input', 'Все менеджеры / All managers');
    const [frame] = await runAndRead(5);
    expect(frame.fields.managerName.values).toEqual(['Анна Смирнова', 'Борис Петров']);
    await screenshot('query-section', 'query-editor.png');
  });

  it('stuck deals with a min-days filter link each deal to amoCRM', async () => {
    await choose('amokpi-query-type-input', 'Зависшие сделки / Stuck deals');
    await runAndRead(6);
    await page.getByTestId('amokpi-query-min-days').fill('30');
    await page.getByTestId('amokpi-query-min-days').blur();
    const [frame] = await runAndRead(7);
    expect(frame.fields.leadName.values).toEqual(['Крыша склада']);
    expect(frame.fields.daysInStatus.values).toEqual([42]);
    expect(frame.fields.url.values).toEqual(['https://agency.amocrm.ru/leads/detail/1003']);
    // The lead name is a data link that resolves to the row's amoCRM URL.
    await expect(page.getByRole('link', { name: 'Крыша склада' }).getAttribute('href')).resolves.toBe(
      'https://agency.amocrm.ru/leads/detail/1003'
    );
    await screenshot('query-section', 'query-editor-stuck-deals.png');
  });

  it('never showed the token to the browser', () => {
    expect(bodiesSeenByBrowser.length).toBeGreaterThan(5);
    expect(bodiesSeenByBrowser.filter((b) => b.includes(etl.apiToken))).toEqual([]);
    expect(bodiesSeenByBrowser.filter((b) => b.startsWith('pageerror'))).toEqual([]);
  });
});
