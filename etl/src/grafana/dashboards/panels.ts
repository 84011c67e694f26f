/**
 * Building blocks of the provisioned dashboards (classic v1 JSON). The dashboards are generated from
 * these so that the TV table, the freshness stat and the variables are defined once and reused, and the
 * committed JSON under dashboards/ is checked against the generator in the tests.
 */
import { ALERT_THRESHOLDS, DATASOURCES } from '../board';

export type Json = Record<string, unknown>;

export const SCHEMA_VERSION = 41;
export const PLUGIN_DS = { type: DATASOURCES[0].type, uid: DATASOURCES[0].uid };
export const PG_DS = { type: DATASOURCES[1].type, uid: DATASOURCES[1].uid };

/**
 * Transformations run before field overrides, so they see the plugin's display names ("План / Plan"),
 * not the API field names. Every such name goes through here; the tests check each one against the
 * plugin's frame code so a renamed label fails there, not silently on the TV.
 */
export const pluginDisplayNamesUsed = new Set<string>();
export function pluginName(ru: string, en: string): string {
  const name = `${ru} / ${en}`;
  pluginDisplayNamesUsed.add(name);
  return name;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type AmokpiQueryType = 'managers' | 'tasks' | 'activity' | 'staleDeals' | 'department' | 'syncHealth';

export function amokpiTarget(queryType: AmokpiQueryType, extra: { managerId?: string; pipelineId?: string; minDays?: number; limit?: number; date?: string } = {}, refId = 'A'): Json {
  return { refId, datasource: PLUGIN_DS, version: 1, queryType, ...extra };
}

export function pgTarget(rawSql: string, format: 'table' | 'time_series' = 'table', refId = 'A'): Json {
  return { refId, datasource: PG_DS, editorMode: 'code', format, rawQuery: true, rawSql };
}

export function thresholds(base: string, steps: [number, string][] = []): Json {
  return { mode: 'absolute', steps: [{ color: base, value: null }, ...steps.map(([value, color]) => ({ color, value }))] };
}

/** Counts are integers: "above the alert threshold N" is N + 1 and up. */
export const aboveThreshold = (n: number) => thresholds('transparent', [[n + 1, 'red']]);

export function override(fieldName: string, props: Record<string, unknown>): Json {
  return { matcher: { id: 'byName', options: fieldName }, properties: Object.entries(props).map(([id, value]) => ({ id, value })) };
}

export const colorBackground = { type: 'color-background', mode: 'basic' };

/** Keeps only these fields (matched by the API field name) in every frame of the panel. */
export function keepFields(names: string[]): Json {
  return { id: 'filterFieldsByName', options: { include: { names } } };
}

export function panel(id: number, type: string, title: string, description: string, gridPos: GridPos, rest: Json): Json {
  return { id, type, title, description, gridPos, ...rest };
}

/** Per-manager plan completion and task discipline, the TV's main table (also on History for a past date). */
export function managersTable(id: number, title: string, description: string, gridPos: GridPos, date?: string): Json {
  return panel(id, 'table', title, description, gridPos, {
    datasource: PLUGIN_DS,
    targets: [amokpiTarget('managers', { managerId: '$manager', pipelineId: '$pipeline', ...(date ? { date } : {}) })],
    transformations: [keepFields(['managerName', 'planAmount', 'wonAmount', 'completionPct', 'planRemainder', 'openTasks', 'overdueTasks', 'leadsWithoutTasks'])],
    fieldConfig: {
      defaults: { custom: { align: 'auto', cellOptions: { type: 'auto' }, inspect: false }, noValue: '—' },
      overrides: [
        override('managerName', { displayName: 'Менеджер', 'custom.minWidth': 220 }),
        override('planAmount', { displayName: 'План' }),
        override('wonAmount', { displayName: 'Выиграно' }),
        // No colours, thresholds or decimals here: the plugin sets them from the API's `bands` (AMOKPI_BANDS), so a
        // changed bound recolours the TV without editing dashboards, and one decimal as KPI.md rounds it.
        override('completionPct', {
          displayName: '% плана',
          'custom.cellOptions': colorBackground,
          'custom.align': 'center',
        }),
        override('planRemainder', { displayName: 'Остаток' }),
        override('openTasks', { displayName: 'Задачи', 'custom.align': 'center' }),
        override('overdueTasks', {
          displayName: 'Просрочено',
          color: { mode: 'thresholds' },
          thresholds: aboveThreshold(ALERT_THRESHOLDS.overdueTasks),
          'custom.cellOptions': colorBackground,
          'custom.align': 'center',
        }),
        override('leadsWithoutTasks', {
          displayName: 'Без задач',
          color: { mode: 'thresholds' },
          thresholds: aboveThreshold(ALERT_THRESHOLDS.leadsWithoutTasks),
          'custom.cellOptions': { type: 'color-text' },
          'custom.align': 'center',
        }),
      ],
    },
    options: { showHeader: true, cellHeight: 'lg', footer: { show: false, reducer: ['sum'], fields: '' }, sortBy: [{ displayName: '% плана', desc: true }] },
  });
}

/** "Data is N minutes old": the API's lag in minutes, red once it reaches the stale-data alert's period. */
/** Options of a big-number stat panel for the TV: one reduced value, no sparkline, centred. */
export function statOptions(o: { calcs: string[]; fields?: string; colorMode?: 'background' | 'value'; textMode?: string; orientation?: string; extra?: Json }): Json {
  return {
    reduceOptions: { calcs: o.calcs, fields: o.fields ?? '', values: false },
    colorMode: o.colorMode ?? 'background',
    graphMode: 'none',
    textMode: o.textMode ?? 'value',
    justifyMode: 'center',
    orientation: o.orientation ?? 'auto',
    wideLayout: true,
    showPercentChange: false,
    ...o.extra,
  };
}

export function freshnessStat(id: number, gridPos: GridPos): Json {
  return panel(id, 'stat', 'Данные обновлены', 'Data freshness: minutes since the last amoCRM sync finished. Red from 30 minutes, as the stale-data alert.', gridPos, {
    datasource: PLUGIN_DS,
    targets: [amokpiTarget('syncHealth')],
    transformations: [
      {
        id: 'calculateField',
        options: {
          mode: 'binary',
          binary: { left: { matcher: { id: 'byName', options: pluginName('Отставание данных', 'Data lag') } }, operator: '/', right: { fixed: '60' } },
          alias: 'lagMinutes',
          replaceFields: true,
        },
      },
      // replaceFields keeps time fields (startedAt, finishedAt): only the lag is the stat's value.
      keepFields(['lagMinutes']),
    ],
    fieldConfig: {
      defaults: {
        unit: 'suffix: мин назад',
        decimals: 0,
        noValue: 'нет данных',
        color: { mode: 'thresholds' },
        thresholds: thresholds('green', [[ALERT_THRESHOLDS.staleMinutes, 'red']]),
      },
      overrides: [],
    },
    options: statOptions({ calcs: ['max'] }),
  });
}

export interface Variable extends Json {
  name: string;
}

/** Managers and pipelines come from the plugin's metricFindQuery ("managers" / "pipelines"); "all" = no filter. */
export function pluginVariable(name: 'manager' | 'pipeline', label: string, multi: boolean): Variable {
  return {
    name,
    label,
    type: 'query',
    datasource: PLUGIN_DS,
    query: { query: name === 'manager' ? 'managers' : 'pipelines', refId: `${name}Variable` },
    definition: name === 'manager' ? 'managers' : 'pipelines',
    refresh: 1,
    includeAll: true,
    allValue: 'all',
    multi,
    sort: 1,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    hide: 0,
    skipUrlSync: false,
  };
}

export function dashboard(d: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  time: { from: string; to: string };
  refresh: string;
  variables: Variable[];
  panels: Json[];
}): Json {
  return {
    id: null,
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['amokpi', ...d.tags],
    timezone: 'browser',
    weekStart: 'monday',
    editable: false,
    graphTooltip: 0,
    fiscalYearStartMonth: 0,
    liveNow: false,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: d.refresh,
    time: d.time,
    timepicker: { refresh_intervals: ['30s', '1m', '5m', '15m'] },
    templating: { list: d.variables },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: [{ type: 'dashboards', tags: ['amokpi'], asDropdown: false, includeVars: false, keepTime: false, title: 'amokpi', icon: 'external link', targetBlank: false, tooltip: '', url: '' }],
    panels: d.panels,
  };
}
