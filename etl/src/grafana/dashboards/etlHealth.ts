import { amokpiTarget, dashboard, freshnessStat, keepFields, override, panel, pgTarget, thresholds, PG_DS, PLUGIN_DS, type GridPos, type Json } from './panels';

/** Bars per stream over the dashboard range from app.sync_runs (one SQL aggregate per panel). */
function perStream(id: number, title: string, description: string, expr: string, gridPos: GridPos, unit = 'short'): Json {
  const sql = [
    'SELECT $__timeGroupAlias(started_at, $__interval), stream AS metric, ' + expr + ' AS value',
    'FROM app.sync_runs',
    'WHERE $__timeFilter(started_at)',
    'GROUP BY 1, 2',
    'ORDER BY 1',
  ].join('\n');
  return panel(id, 'timeseries', title, description, gridPos, {
    datasource: PG_DS,
    targets: [pgTarget(sql, 'time_series')],
    interval: '5m',
    fieldConfig: {
      defaults: {
        unit,
        min: 0,
        color: { mode: 'palette-classic' },
        custom: { drawStyle: 'bars', fillOpacity: 80, barAlignment: 0, lineWidth: 1, stacking: { mode: 'normal', group: 'A' }, showPoints: 'never', spanNulls: false },
      },
      overrides: [],
    },
    options: { legend: { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: ['sum'] }, tooltip: { mode: 'multi', sort: 'desc' } },
  });
}

export function etlHealth(): Json {
  const errorsSql = [
    'SELECT started_at AS "time", stream, mode, error',
    'FROM app.sync_runs',
    'WHERE error IS NOT NULL AND $__timeFilter(started_at)',
    'ORDER BY started_at DESC',
    'LIMIT 100',
  ].join('\n');
  return dashboard({
    uid: 'amokpi-etl',
    title: 'ETL: синхронизация с amoCRM',
    description: 'ETL health: data freshness, last sync per stream, runs, requests and 429 answers per stream, run time and errors.',
    tags: ['etl'],
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    variables: [],
    panels: [
      freshnessStat(1, { x: 0, y: 0, w: 6, h: 6 }),
      panel(2, 'table', 'Последняя синхронизация по потокам', 'Last sync per stream: when it finished, rows, requests, error.', { x: 6, y: 0, w: 18, h: 6 }, {
        datasource: PLUGIN_DS,
        targets: [amokpiTarget('syncHealth')],
        transformations: [keepFields(['stream', 'finishedAt', 'rows', 'requests', 'error'])],
        fieldConfig: {
          defaults: { custom: { align: 'auto', cellOptions: { type: 'auto' }, inspect: false }, noValue: '—' },
          overrides: [override('error', { color: { mode: 'fixed', fixedColor: 'red' }, 'custom.cellOptions': { type: 'color-text' } })],
        },
        options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
      }),
      perStream(3, 'Запуски синхронизации', 'Sync runs per stream.', 'count(*)', { x: 0, y: 6, w: 12, h: 8 }),
      perStream(4, 'Запросы к amoCRM', 'Requests to amoCRM per stream.', 'sum(requests)', { x: 12, y: 6, w: 12, h: 8 }),
      perStream(5, 'Ответы 429 (лимит запросов)', '429 Too Many Requests answers per stream: anything above zero means the rate limit was hit.', 'sum(throttled)', { x: 0, y: 14, w: 12, h: 8 }),
      perStream(6, 'Длительность синхронизации', 'Run time per stream (longest run in each interval).', 'max(extract(epoch FROM coalesce(finished_at, now()) - started_at))', { x: 12, y: 14, w: 12, h: 8 }, 's'),
      panel(7, 'table', 'Ошибки синхронизации', 'Failed sync runs in the range, newest first.', { x: 0, y: 22, w: 24, h: 8 }, {
        datasource: PG_DS,
        targets: [pgTarget(errorsSql)],
        fieldConfig: {
          defaults: { custom: { align: 'auto', cellOptions: { type: 'auto' }, inspect: false } },
          overrides: [override('error', { color: { mode: 'thresholds' }, thresholds: thresholds('red'), 'custom.cellOptions': { type: 'color-text' } })],
        },
        options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
      }),
    ],
  });
}
