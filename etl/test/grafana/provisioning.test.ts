import fs from 'node:fs';
import path from 'node:path';
import { ALERT_RULE_UIDS, ALERT_THRESHOLDS, DASHBOARDS, DATASOURCES, PLAYLIST_UID, PLUGIN_ID, tvPlaylist } from '../../src/grafana/board';
import { GRAFANA_DB_ROLE } from '../../src/grafana/dbRole';
import { DASHBOARDS_DIR } from '../../src/grafana/board';
import { buildDashboards, pluginDisplayNamesUsed, syncDashboardFiles } from '../../src/grafana/dashboards';
import { REPO, listFiles, provisionedRules, readJson, readYaml, rule } from './files';

const pluginFile = (rel: string) => fs.readFileSync(path.join(REPO, 'plugin/src', rel), 'utf8');

/** The query types the plugin accepts, read from its types.ts so the two cannot drift apart. */
function pluginQueryTypes(): string[] {
  const m = /export type QueryType\s*=\s*([^;]+);/.exec(pluginFile('types.ts'));
  if (!m) throw new Error('QueryType not found in plugin/src/types.ts');
  return [...m[1]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!);
}

const dashboards = () => listFiles('dashboards', /\.json$/).map((f) => ({ file: path.basename(f), json: readJson(f) }));
const allPanels = (d: any): any[] => d.panels.flatMap((p: any) => [p, ...(p.panels ?? [])]);
const override = (p: any, name: string) => p.fieldConfig.overrides.find((o: any) => o.matcher.id === 'byName' && o.matcher.options === name);
const prop = (o: any, id: string) => o?.properties.find((x: any) => x.id === id)?.value;
const stepsOf = (t: any) => t.steps.map((s: any) => [s.value, s.color]);
const CYRILLIC = /[А-Яа-яЁё]/;

describe('dashboards', () => {
  it('the committed JSON is exactly what the generator produces (run `npx amokpi grafana dashboards` after editing)', () => {
    expect(syncDashboardFiles(DASHBOARDS_DIR, 'check')).toEqual([]);
    expect(dashboards().map((d) => d.file).sort()).toEqual(DASHBOARDS.map((d) => d.file).sort());
  });

  it('fixed unique uids, id null, schemaVersion 41–42, Russian titles with English descriptions', () => {
    const ds = dashboards();
    const uids = ds.map((d) => d.json.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { file, json } of ds) {
      expect(DASHBOARDS.find((d) => d.file === file)!.uid).toBe(json.uid);
      expect(json.uid).toMatch(/^[a-z0-9-]{8,40}$/);
      expect(json.id).toBeNull();
      expect([41, 42]).toContain(json.schemaVersion);
      expect(json.title).toMatch(CYRILLIC);
      expect(json.description).toMatch(/^[A-Z][\x20-\x7E–—≥]+$/);
      const ids = allPanels(json).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of allPanels(json)) {
        expect(p.title).toMatch(CYRILLIC);
        expect(p.description).toMatch(/[A-Za-z]{3}/);
      }
    }
  });

  it('every panel, target and variable uses a provisioned data source with the right type', () => {
    const provisioned = readYaml('provisioning/datasources/amokpi.yaml').datasources.map((d: any) => `${d.type}/${d.uid}`);
    const refs: any[] = [];
    for (const { json } of dashboards()) {
      for (const p of allPanels(json)) {
        refs.push(p.datasource);
        for (const t of p.targets ?? []) refs.push(t.datasource ?? p.datasource);
      }
      for (const v of json.templating.list) if (v.type === 'query') refs.push(v.datasource);
    }
    expect(refs.length).toBeGreaterThan(20);
    for (const r of refs) expect(provisioned).toContain(`${r.type}/${r.uid}`);
  });

  it('plugin queries use the plugin query model: valid queryType, version 1, known fields only', () => {
    const types = pluginQueryTypes();
    expect(types).toEqual(['managers', 'tasks', 'activity', 'staleDeals', 'department', 'syncHealth']);
    let n = 0;
    for (const { json } of dashboards()) {
      for (const p of allPanels(json)) {
        for (const t of p.targets ?? []) {
          if (t.datasource.type !== PLUGIN_ID) continue;
          n++;
          expect(types).toContain(t.queryType);
          expect(t.version).toBe(1);
          expect(Object.keys(t).every((k) => ['refId', 'datasource', 'version', 'queryType', 'pipelineId', 'managerId', 'minDays', 'limit', 'date'].includes(k))).toBe(true);
          if (t.minDays !== undefined) expect(Number.isInteger(t.minDays)).toBe(true);
          for (const v of [t.managerId, t.pipelineId, t.date].filter(Boolean)) {
            const used = /^\$(\w+)$/.exec(v);
            if (used) expect(json.templating.list.map((x: any) => x.name)).toContain(used[1]);
          }
        }
      }
    }
    expect(n).toBeGreaterThan(10);
  });

  it('manager and pipeline variables come from the plugin\'s metricFindQuery, "All" meaning no filter', () => {
    const source = pluginFile('datasource.ts');
    const interpolate = pluginFile('interpolate.ts');
    for (const { json } of dashboards().filter((d) => d.json.uid !== 'amokpi-etl')) {
      for (const v of json.templating.list.filter((x: any) => x.name === 'manager' || x.name === 'pipeline')) {
        expect(v.datasource.uid).toBe('amokpi');
        expect(source).toContain(`text === '${v.query.query}'`);
        expect(v.includeAll).toBe(true);
        expect(interpolate).toMatch(new RegExp(`ALL_TOKENS = new Set\\(\\[[^\\]]*'${v.allValue}'`));
      }
    }
    const today = buildDashboards().get('sales-today.json') as any;
    expect(today.templating.list.map((v: any) => v.name)).toEqual(['manager', 'pipeline']);
  });

  it('completion colours are left to the plugin (the API bands); overdue turns red above the alert threshold', () => {
    let tables = 0;
    for (const { json } of dashboards()) {
      for (const p of allPanels(json).filter((x) => x.targets?.some((t: any) => t.queryType === 'managers'))) {
        tables++;
        const completion = override(p, 'completionPct');
        // A fixed 80/100 here would override the thresholds the plugin derives from AMOKPI_BANDS (panels.test.ts).
        expect(completion.properties.map((x: any) => x.id).filter((id: string) => ['thresholds', 'color', 'decimals', 'unit'].includes(id))).toEqual([]);
        expect(prop(completion, 'custom.cellOptions').type).toBe('color-background');
        expect(stepsOf(prop(override(p, 'overdueTasks'), 'thresholds'))).toEqual([[null, 'transparent'], [ALERT_THRESHOLDS.overdueTasks + 1, 'red']]);
        expect(stepsOf(prop(override(p, 'leadsWithoutTasks'), 'thresholds'))).toEqual([[null, 'transparent'], [ALERT_THRESHOLDS.leadsWithoutTasks + 1, 'red']]);
      }
    }
    expect(tables).toBe(2); // the TV board and History
  });

  it('the TV board: per-manager table, stacked calls-vs-messages bars, stuck deals with amoCRM links, freshness stat', () => {
    const today = readJson('dashboards/sales-today.json');
    expect(today.tags).toContain('tv');
    const byType = (q: string) => allPanels(today).find((p) => p.targets.some((t: any) => t.queryType === q));
    const bars = byType('activity');
    expect(bars.type).toBe('barchart');
    expect(bars.options).toMatchObject({ xField: 'managerName', stacking: 'normal' });
    const colors = ['callMinutes', 'messageMinutes'].map((f) => prop(override(bars, f), 'color').fixedColor);
    expect(new Set(colors).size).toBe(2);
    const stale = byType('staleDeals');
    expect(stale.type).toBe('table');
    // The deal name's data link (set by the plugin) reads the url field, so it must survive the transformations.
    expect(stale.transformations[0].options.include.names).toEqual(expect.arrayContaining(['leadName', 'url']));
    expect(pluginFile('frames/staleDeals.ts')).toContain("url: '${__data.fields.url}'");
    const fresh = byType('syncHealth');
    expect(fresh.type).toBe('stat');
    expect(fresh.fieldConfig.defaults.unit).toBe('suffix: мин назад');
    expect(stepsOf(fresh.fieldConfig.defaults.thresholds)).toEqual([[null, 'green'], [ALERT_THRESHOLDS.staleMinutes, 'red']]);
    // 1920×1080 at 3 m: the whole board fits one screen (kiosk + autofitpanels) with no overlapping panels.
    for (const d of [today, readJson('dashboards/department.json')]) {
      const ps = allPanels(d);
      expect(Math.max(...ps.map((p) => p.gridPos.y + p.gridPos.h))).toBeLessThanOrEqual(27);
      for (const a of ps) {
        expect(a.gridPos.x + a.gridPos.w).toBeLessThanOrEqual(24);
        for (const b of ps) {
          if (a === b) continue;
          const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
          expect(overlap).toBe(false);
        }
      }
    }
  });

  it('names that transformations match by display name exist as ru/en pairs in the plugin frames', () => {
    buildDashboards();
    const pairs = new Set<string>();
    for (const f of fs.readdirSync(path.join(REPO, 'plugin/src/frames'))) {
      const text = pluginFile(`frames/${f}`);
      for (const m of text.matchAll(/ru:\s*'([^']+)',\s*en:\s*'([^']+)'/g)) pairs.add(`${m[1]} / ${m[2]}`);
    }
    expect([...pluginDisplayNamesUsed].length).toBeGreaterThan(5);
    for (const name of pluginDisplayNamesUsed) expect([...pairs]).toContain(name);
  });

  it('History has a date variable and the snapshot/reconstructed marker; department shows previous value and change', () => {
    const history = readJson('dashboards/history.json');
    const date = history.templating.list.find((v: any) => v.name === 'date');
    expect(date.datasource.uid).toBe('amokpi-postgres');
    const marker = allPanels(history).find((p) => p.targets.some((t: any) => /kpi\.snapshot_days/.test(t.rawSql ?? '')));
    expect(Object.keys(marker.fieldConfig.defaults.mappings[0].options).sort()).toEqual(['reconstructed', 'snapshot']);
    expect(allPanels(history).filter((p) => p.targets.some((t: any) => t.date === '$date')).length).toBeGreaterThanOrEqual(7);
    const dept = readJson('dashboards/department.json');
    const stats = allPanels(dept).filter((p) => p.type === 'stat');
    expect(stats.map((s) => s.transformations[0].options.include.names[0]).sort()).toEqual(
      ['avgWonAmount', 'inProgressAmount', 'inProgressCount', 'planRemainder', 'wonAmount', 'wonCount'],
    );
    for (const s of stats) {
      const [f] = s.transformations[0].options.include.names;
      expect(s.transformations[0].options.include.names).toEqual([f, `${f}Previous`, `${f}ChangePct`]);
    }
    // The wide frame's field names as the plugin builds them.
    const deptFrame = pluginFile('frames/department.ts');
    expect(deptFrame).toContain('name: `${f}Previous`');
    expect(deptFrame).toContain('name: `${f}ChangePct`');
  });
});

describe('provisioning files', () => {
  it('data sources: the plugin (url + token through its data-proxy route) and read-only Postgres, fixed uids', () => {
    const file = readYaml('provisioning/datasources/amokpi.yaml');
    expect(file.apiVersion).toBe(1);
    const byUid = new Map<string, any>(file.datasources.map((d: any) => [d.uid, d]));
    expect([...byUid.keys()].sort()).toEqual(DATASOURCES.map((d) => d.uid).sort());
    for (const d of file.datasources) {
      expect(d).toMatchObject({ access: 'proxy', orgId: 1, editable: false });
      expect(typeof d.name).toBe('string');
      expect(DATASOURCES.find((x) => x.uid === d.uid)!.type).toBe(d.type);
    }
    const route = JSON.parse(pluginFile('plugin.json')).routes[0];
    const plugin = byUid.get('amokpi');
    expect(route.url).toContain('{{ .JsonData.url }}');
    expect(route.headers[0].content).toContain('{{ .SecureJsonData.apiToken }}');
    expect(Object.keys(plugin.jsonData)).toEqual(['url']);
    expect(Object.keys(plugin.secureJsonData)).toEqual(['apiToken']);
    const pg = byUid.get('amokpi-postgres');
    expect(pg.user).toBe(GRAFANA_DB_ROLE);
    expect(pg.jsonData.database).toBeTruthy();
    expect(pg.secureJsonData.password).toBe('${AMOKPI_GRAFANA_DB_PASSWORD}');
    expect(pg.password).toBeUndefined(); // Grafana 12 ignores the top-level field
  });

  it('dashboard provider serves dashboards/ read-only from the path docker-compose mounts', () => {
    const file = readYaml('provisioning/dashboards/amokpi.yaml');
    expect(file.apiVersion).toBe(1);
    const [p] = file.providers;
    expect(p).toMatchObject({ type: 'file', orgId: 1, allowUiUpdates: false });
    const compose = readYaml('docker-compose.yml');
    expect(compose.services.grafana.volumes).toContain(`./dashboards:${p.options.path}:ro`);
  });

  it('alert rules and dashboards land in ONE Grafana folder: the same title, the dashboards finding it by title', () => {
    const [p] = readYaml('provisioning/dashboards/amokpi.yaml').providers;
    const ruleFolders = new Set<string>();
    for (const f of listFiles('provisioning/alerting', /\.ya?ml$/)) for (const g of readYaml(f).groups ?? []) ruleFolders.add(g.folder);
    expect([...ruleFolders]).toEqual([p.folder]);
    // Alert provisioning runs before the dashboards and creates its folder by title with a generated uid.
    // A provider with folderUid looks the folder up by that uid only, misses it and creates a second folder
    // of the same title (grafana/grafana#125079); without it the provider finds the folder by title.
    expect(p.folderUid ?? '').toBe('');
    expect(p.options.foldersFromFilesStructure).not.toBe(true); // would ignore `folder`
  });

  it('alert rules: required fields, conditions and expressions wired, data sources and panels exist, thresholds as documented', () => {
    const rules = provisionedRules();
    expect(rules.map((r) => r.uid).sort()).toEqual([...ALERT_RULE_UIDS].sort());
    const dash = new Map(dashboards().map((d) => [d.json.uid, d.json]));
    for (const r of rules) {
      expect(r.title).toMatch(CYRILLIC);
      const refs = r.data.map((d) => d.refId);
      expect(refs).toContain(r.condition);
      for (const d of r.data) {
        expect(d.model.refId).toBe(d.refId);
        if (d.datasourceUid === '__expr__') {
          expect(['reduce', 'threshold', 'math', 'resample', 'classic_conditions']).toContain(d.model.type);
          expect(refs).toContain(d.model.expression);
          expect(d.model.datasource).toEqual({ type: '__expr__', uid: '__expr__' });
        } else {
          expect(d.datasourceUid).toBe('amokpi-postgres');
          expect(d.model.datasource).toEqual({ type: 'grafana-postgresql-datasource', uid: 'amokpi-postgres' });
          expect(d).toHaveProperty('relativeTimeRange');
        }
      }
      expect(r.labels?.source).toBe('amokpi');
      const board = dash.get(r.dashboardUid!);
      expect(board).toBeDefined();
      expect(allPanels(board).map((p) => p.id)).toContain(r.panelId);
    }
    const threshold = (uid: string) => rules.find((r) => r.uid === uid)!.data.find((d) => d.model.type === 'threshold')!.model.conditions[0].evaluator;
    expect(threshold('amokpi-overdue-tasks')).toEqual({ type: 'gt', params: [ALERT_THRESHOLDS.overdueTasks] });
    expect(threshold('amokpi-leads-without-tasks')).toEqual({ type: 'gt', params: [ALERT_THRESHOLDS.leadsWithoutTasks] });
    expect(threshold('amokpi-stale-data')).toEqual({ type: 'gt', params: [ALERT_THRESHOLDS.staleMinutes] });
    // The labels the message template reads.
    for (const uid of ['amokpi-overdue-tasks', 'amokpi-leads-without-tasks']) {
      expect(rules.find((r) => r.uid === uid)!.data[0]!.model.rawSql).toMatch(/ AS manager,/);
    }
  });

  it('alert states: valid values; a data-source error of the stale-data rule (Postgres login not set yet, a restart) does not page', () => {
    const rules = provisionedRules();
    for (const r of rules) {
      // grafana.md §5.5; a blank execErrState would mean Alerting.
      expect(['NoData', 'Alerting', 'OK', 'KeepLast']).toContain(r.noDataState);
      expect(['Error', 'Alerting', 'OK', 'KeepLast']).toContain(r.execErrState);
      expect(r.for).toMatch(/^\d+[smh]$/);
    }
    // Error would fire a DatasourceError notification at the first failed evaluation whatever `for` says;
    // KeepLast keeps the last state (Normal at first start), so only real staleness pages.
    const stale = rule('amokpi-stale-data');
    expect(stale.execErrState).toBe('KeepLast');
    // Never synced or no sync row at all still pages (the SQL answers 1e6 minutes rather than no data).
    expect(stale.noDataState).toBe('Alerting');
  });

  it('contact points from the environment, a policy routing to them, a template naming manager, figure and board', () => {
    const n = readYaml('provisioning/alerting/notifications.yaml');
    const receivers = n.contactPoints.flatMap((c: any) => c.receivers.map((r: any) => ({ ...r, point: c.name })));
    expect(receivers.map((r: any) => r.type).sort()).toEqual(['email', 'telegram']);
    const email = receivers.find((r: any) => r.type === 'email');
    const telegram = receivers.find((r: any) => r.type === 'telegram');
    expect(email.settings.addresses).toBe('${AMOKPI_ALERT_EMAILS}');
    expect(telegram.settings).toMatchObject({ bottoken: '${AMOKPI_TELEGRAM_BOT_TOKEN}', chatid: '${AMOKPI_TELEGRAM_CHAT_ID}' });
    const names = n.contactPoints.map((c: any) => c.name);
    const [policy] = n.policies;
    expect(names).toContain(policy.receiver);
    for (const route of policy.routes) expect(names).toContain(route.receiver);
    expect(policy.routes.map((r: any) => r.receiver).sort()).toEqual(names.sort());
    const template = n.templates[0].template as string;
    const defined = [...template.matchAll(/define "([^"]+)"/g)].map((m) => m[1]);
    for (const r of receivers) {
      for (const v of Object.values(r.settings) as string[]) {
        for (const m of String(v).matchAll(/template "([^"]+)"/g)) expect(defined).toContain(m[1]);
      }
    }
    expect(template).toContain('.Labels.manager');
    expect(template).toContain('.Annotations.figure');
    expect(template).toContain('.DashboardURL');
    // Grafana's Go templates must balance: every {{ define }}/{{ if }}/{{ range }} has its {{ end }}.
    const opens = (template.match(/\{\{-?\s*(define|if|range|with)\b/g) ?? []).length;
    const ends = (template.match(/\{\{-?\s*end\s*-?\}\}/g) ?? []).length;
    expect(ends).toBe(opens);
  });

  it('every ${VAR} the provisioning files read is given to Grafana by docker-compose.yml', () => {
    const grafanaEnv = readYaml('docker-compose.yml').services.grafana.environment;
    const used = new Set<string>();
    for (const f of [...listFiles('provisioning/datasources', /\.ya?ml$/), ...listFiles('provisioning/alerting', /\.ya?ml$/)]) {
      for (const m of fs.readFileSync(path.join(REPO, f), 'utf8').matchAll(/\$\{([A-Z0-9_]+)\}/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThanOrEqual(8);
    for (const v of used) expect(Object.keys(grafanaEnv)).toContain(v);
  });

  it('the TV playlist rotates the board dashboards by uid', () => {
    const tv = DASHBOARDS.filter((d) => d.tv).map((d) => d.uid);
    expect(tvPlaylist().items).toEqual(tv.map((value) => ({ type: 'dashboard_by_uid', value })));
    expect(tv).toEqual(['amokpi-today', 'amokpi-department']);
    for (const uid of tv) expect(dashboards().find((d) => d.json.uid === uid)!.json.tags).toContain('tv');
    expect(PLAYLIST_UID).toMatch(/^[a-z0-9-]+$/);
  });
});
