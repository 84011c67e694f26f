/**
 * Run as a child process by panels.test.ts (`node --require tsx/cjs panelFrames.ts`): builds the frames
 * the REAL plugin code produces for hand-written KPI API answers, pushes them through each dashboard
 * panel's transformations with the REAL @grafana/data transformers, and prints what every panel gets.
 * A separate process because @grafana/data needs browser globals (jsdom) that jest's node environment
 * and ESM handling do not give it.
 */
import path from 'node:path';
import fs from 'node:fs';

const REPO = path.resolve(__dirname, '../../..');
export const MARKER = '@@amokpi-panel-frames@@';

function installBrowserGlobals(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { JSDOM } = require('jsdom');
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://localhost/' });
  for (const k of ['window', 'document', 'navigator', 'localStorage', 'HTMLElement', 'Element', 'Node', 'getComputedStyle', 'matchMedia']) {
    if (k in globalThis && k !== 'navigator') continue;
    Object.defineProperty(globalThis, k, { value: k === 'window' ? dom.window : dom.window[k], configurable: true, writable: true });
  }
}

/** API answers in the shapes of shared/KPI.md, small enough to check by hand. */
const FIXTURES = {
  managers: {
    date: '2026-11-27',
    asOf: '2026-11-27T12:00:00+03:00',
    timezone: 'Europe/Moscow',
    currency: 'RUB',
    bands: { red: 70, green: 90 }, // AMOKPI_BANDS=70,90: not the default, so a fixed 80/100 would show
    rows: [
      { managerId: 1, managerName: 'Анна', planAmount: 1000000, wonAmount: 1100000, wonCount: 5, completionPct: 110, band: 'green', planRemainder: 0, openTasks: 8, overdueTasks: 6, leadsWithoutTasks: 0 },
      { managerId: 2, managerName: 'Борис', planAmount: 1000000, wonAmount: 500000, wonCount: 2, completionPct: 50, band: 'red', planRemainder: 500000, openTasks: 5, overdueTasks: 5, leadsWithoutTasks: 11 },
    ],
  },
  activity: {
    timezone: 'Europe/Moscow',
    messageMinutes: 0.5,
    rows: [
      { date: '2026-11-27', managerId: 1, managerName: 'Анна', callMinutes: 42.5, messages: 10, activityMinutes: 47.5 },
      { date: '2026-11-27', managerId: 2, managerName: 'Борис', callMinutes: 0, messages: 4, activityMinutes: 2 },
    ],
  },
  staleDeals: {
    asOf: '2026-11-27T12:00:00+03:00',
    rows: [
      { leadId: 501, leadName: 'Склад на Ленина', managerId: 2, managerName: 'Борис', pipelineId: 10, pipelineName: 'Продажи', statusId: 100, statusName: 'Переговоры', price: 250000, daysInStatus: 40, enteredAt: '2026-10-18T10:00:00+03:00', url: 'https://demo.amocrm.ru/leads/detail/501' },
      { leadId: 502, leadName: 'Офис', managerId: 1, managerName: 'Анна', pipelineId: 10, pipelineName: 'Продажи', statusId: 101, statusName: 'КП отправлено', price: 90000, daysInStatus: 9, enteredAt: '2026-11-18T10:00:00+03:00', url: 'https://demo.amocrm.ru/leads/detail/502' },
    ],
  },
  department: {
    currency: 'RUB',
    current: { date: '2026-11-27', wonAmount: 1600000, wonCount: 7, avgWonAmount: 228571, inProgressAmount: 3000000, inProgressCount: 20, planAmount: 2000000, planRemainder: 400000 },
    previous: { date: '2026-10-27', wonAmount: 1000000, wonCount: 5, avgWonAmount: 200000, inProgressAmount: 2500000, inProgressCount: 18, planAmount: 2000000, planRemainder: 1000000 },
    change: {
      wonAmount: { abs: 600000, pct: 60 },
      wonCount: { abs: 2, pct: 40 },
      avgWonAmount: { abs: 28571, pct: 14.3 },
      inProgressAmount: { abs: 500000, pct: 20 },
      inProgressCount: { abs: 2, pct: 11.1 },
      planAmount: { abs: 0, pct: 0 },
      planRemainder: { abs: -600000, pct: -60 },
    },
  },
  status: {
    streams: [
      { stream: 'leads', startedAt: '2026-11-27T08:50:00Z', finishedAt: '2026-11-27T08:51:00Z', rows: 120, requests: 3, error: null },
      { stream: 'events', startedAt: '2026-11-27T08:50:00Z', finishedAt: '2026-11-27T08:52:00Z', rows: 900, requests: 12, error: null },
    ],
    lagSeconds: 1500,
    timezone: 'Europe/Moscow',
    currency: 'RUB',
  },
};

export interface PanelResult {
  dashboard: string;
  panelId: number;
  queryType: string;
  frames: { name?: string; fields: { name: string; displayName?: string; values: unknown[]; thresholds?: [number | null, string][]; decimals?: number }[] }[];
}

async function main(): Promise<void> {
  installBrowserGlobals();
  /* eslint-disable @typescript-eslint/no-require-imports */
  const data = require('@grafana/data');
  const { lastValueFrom } = require('rxjs');
  const frames = (f: string) => require(path.join(REPO, 'plugin/src/frames', f));
  const { statusSchema } = require(path.join(REPO, 'plugin/src/api/schemas'));
  /* eslint-enable @typescript-eslint/no-require-imports */

  // Grafana core registers the standard transformers at start-up; some appear twice under old names.
  const unique = new Map<string, any>();
  for (const t of Object.values(data.standardTransformers) as any[]) unique.set(t.id, t);
  data.standardTransformersRegistry.setInit(() =>
    [...unique.values()].map((t) => ({ id: t.id, aliasIds: t.aliasIds, name: t.name, description: t.description, transformation: t })),
  );

  const ctx = { refId: 'A', currency: 'RUB', timezone: 'Europe/Moscow' };
  const build: Record<string, () => any[]> = {
    managers: () => [frames('managers.ts').managersFrame(FIXTURES.managers, ctx)],
    activity: () => [frames('activity.ts').activityFrame(FIXTURES.activity, ctx)],
    staleDeals: () => [frames('staleDeals.ts').staleDealsFrame(FIXTURES.staleDeals, ctx)],
    department: () => frames('department.ts').departmentFrames(FIXTURES.department, ctx),
    syncHealth: () => [frames('syncHealth.ts').syncHealthFrame(statusSchema.parse(FIXTURES.status), ctx)],
  };

  const results: PanelResult[] = [];
  for (const file of fs.readdirSync(path.join(REPO, 'dashboards')).filter((f) => f.endsWith('.json'))) {
    const dash = JSON.parse(fs.readFileSync(path.join(REPO, 'dashboards', file), 'utf8'));
    for (const panel of dash.panels) {
      const target = (panel.targets ?? []).find((t: any) => t.datasource?.uid === 'amokpi');
      if (!target) continue;
      const input = build[target.queryType]!();
      const out = panel.transformations?.length ? await lastValueFrom(data.transformDataFrame(panel.transformations, input)) : input;
      results.push({
        dashboard: dash.uid,
        panelId: panel.id,
        queryType: target.queryType,
        frames: (out as any[])
          .filter((f) => f.fields.length > 0)
          .map((f) => ({ name: f.name, fields: f.fields.map((x: any) => ({
            name: x.name,
            displayName: x.config?.displayName,
            values: Array.from(x.values),
            // What the field brings into the panel before the dashboard's overrides (which must not replace these).
            thresholds: x.config?.thresholds?.steps.map((st: any) => [Number.isFinite(st.value) ? st.value : null, st.color]),
            decimals: x.config?.decimals,
          })) })),
      });
    }
  }
  // Libraries print banners on stdout (i18next): the result follows a marker line.
  process.stdout.write(`\n${MARKER}\n${JSON.stringify(results)}\n`);
}

// Imported by the test for MARKER and the types; runs only as the child process.
if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
