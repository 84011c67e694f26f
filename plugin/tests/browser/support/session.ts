import fs from 'fs';
import os from 'os';
import path from 'path';
import { Browser, Page, chromium } from 'playwright-core';

import { bundleHarness } from './bundle';
import { DataProxy, PluginRoute, startDataProxy } from './dataProxy';
import { Etl, Seed, startEtl } from './etl';

const PLUGIN = path.join(__dirname, '..', '..', '..');
const ARTIFACTS = path.join(PLUGIN, 'test-artifacts');
const SCREENSHOTS = path.join(PLUGIN, '..', 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** What the user types as the ETL's address (a docker-compose service name); the stand-in resolves it. */
export const ETL_HOST = 'amokpi:8080';

export type Frames = Array<{ name: string; fields: Record<string, { values: unknown[]; displayName: string }> }>;

export interface Session {
  etl: Etl;
  proxy: DataProxy;
  page: Page;
  /** Every response body the browser received, and page errors, to prove what it never saw. */
  seen: string[];
  close(): Promise<void>;
  screenshot(testId: string, name: string): Promise<void>;
  saveAndTest(): Promise<{ status: string | null; text: string }>;
  /** Opens a @grafana/ui Select by clicking it and clicks the option with this label, as a person would. */
  choose(inputId: string, option: string): Promise<void>;
  /** Waits for the harness's n-th query answer and returns its frames. */
  frames(run: number): Promise<Frames>;
}

/**
 * Real Chromium on a harness page (the plugin's editors + real @grafana/ui), served by a data-proxy
 * stand-in that applies the BUILT plugin.json's route, in front of a real `amokpi serve`.
 */
export async function openSession(seed: Seed, query: Record<string, string> = {}): Promise<Session> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium (.ci/run does)`);
  }
  const pluginJson = JSON.parse(fs.readFileSync(path.join(PLUGIN, 'dist', 'plugin.json'), 'utf8'));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-harness-'));
  const [bundle, etl] = await Promise.all([bundleHarness(out), startEtl(seed)]);
  fs.writeFileSync(
    path.join(out, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>amokpi plugin harness</title>' +
      '<link rel="stylesheet" href="/harness.css"></head><body><div id="root"></div><script src="/harness.js"></script></body></html>'
  );
  const proxy = await startDataProxy({
    uid: 'amokpi',
    type: pluginJson.id,
    routes: pluginJson.routes as PluginRoute[],
    staticFiles: { '/': path.join(out, 'index.html'), '/harness.js': bundle, '/harness.css': bundle.replace(/\.js$/, '.css') },
    staticDirs: { '/public/build/img/icons/': path.join(path.dirname(require.resolve('@grafana/ui/package.json')), 'dist/public/img/icons/') },
    hosts: { [ETL_HOST]: new URL(etl.url).host },
  });
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await proxy.close();
    await etl.stop();
    fs.rmSync(out, { recursive: true, force: true });
  };
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const seen: string[] = [];
    page.on('response', async (res) => {
      try {
        seen.push(`${res.url()} ${await res.text()}`);
      } catch {
        // redirects and aborted requests have no body
      }
    });
    page.on('pageerror', (err) => seen.push(`pageerror ${err.message}`));
    await page.goto(`${proxy.url}/?${new URLSearchParams(query)}`);
    await page.getByText('amokpi KPI API').waitFor();

    const saveAndTest = async () => {
      await page.getByRole('button', { name: 'Save & test' }).click();
      const result = page.getByTestId('test-result');
      await result.waitFor();
      return { status: await result.getAttribute('data-status'), text: await result.innerText() };
    };
    return {
      etl,
      proxy,
      page,
      seen,
      close,
      saveAndTest,
      async screenshot(testId, name) {
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        const file = path.join(ARTIFACTS, name);
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur()); // no focus rings in the picture
        await page.getByTestId(testId).screenshot({ path: file });
        // The README's pictures change only when asked: a plain test run must not leave tracked files modified.
        if (process.env.AMOKPI_UPDATE_SCREENSHOTS === '1') {
          fs.mkdirSync(SCREENSHOTS, { recursive: true });
          fs.copyFileSync(file, path.join(SCREENSHOTS, name));
        }
      },
      async choose(inputId, option) {
        await page.locator(`#${inputId}`).click();
        await page.getByRole('option', { name: option }).or(page.locator('[aria-label="Select option"]', { hasText: option })).first().click();
      },
      async frames(run) {
        await page.locator(`[data-testid="query-result"][data-answered="${run}"]`).waitFor({ timeout: 15000 });
        return page.evaluate(() => window.harness.frames()) as Promise<Frames>;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Configures the data source in the page the way a person does: types URL and token, Save & test. */
export async function configure(s: Session): Promise<void> {
  await s.page.getByTestId('amokpi-config-url').pressSequentially(`http://${ETL_HOST}`);
  await s.page.getByPlaceholder('AMOKPI_API_TOKEN').fill(s.etl.apiToken);
  const result = await s.saveAndTest();
  if (result.status !== 'success') {
    throw new Error(`Save & test failed: ${result.text}`);
  }
}
