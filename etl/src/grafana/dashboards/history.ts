import { dashboard, managersTable, panel, pgTarget, pluginVariable, statOptions, PG_DS, type Json, type Variable } from './panels';
import { departmentPanels } from './department';

/** Today in the account's time zone (amo.account.timezone), as the ETL counts days. */
const ACCOUNT_TODAY = "(now() AT TIME ZONE coalesce((SELECT timezone FROM amo.account LIMIT 1), 'UTC'))::date";

/** Past days, newest first: yesterday is the default. */
function dateVariable(): Variable {
  const sql = `SELECT to_char(d, 'YYYY-MM-DD') FROM generate_series(${ACCOUNT_TODAY} - 1, ${ACCOUNT_TODAY} - 400, interval '-1 day') AS d`;
  return {
    name: 'date',
    label: 'Дата',
    description: 'The past day whose figures are shown',
    type: 'query',
    datasource: PG_DS,
    query: sql,
    definition: sql,
    refresh: 1,
    includeAll: false,
    multi: false,
    sort: 0,
    current: {},
    options: [],
    hide: 0,
    skipUrlSync: false,
  };
}

/** Whether the chosen day's figures were frozen that evening or are rebuilt from the status history now. */
function sourceMarker(): Json {
  const sql = [
    // A snapshot taken before its day ended (an on-demand one) is not the finished day: the API serves that day
    // reconstructed until the worker replaces it, and so does this marker (the zone as the date list takes it).
    "SELECT CASE WHEN bool_or(d.source = 'snapshot' AND d.as_of >= (d.day + 1)::timestamp AT TIME ZONE a.timezone)",
    "            THEN 'snapshot' ELSE 'reconstructed' END AS source",
    'FROM kpi.snapshot_days d CROSS JOIN (SELECT timezone FROM amo.account LIMIT 1) a',
    "WHERE d.day = '${date:raw}'::date",
    "  AND d.pipeline_id = coalesce(nullif(regexp_replace('${pipeline:raw}', '[^0-9]', '', 'g'), ''), '0')::bigint",
  ].join('\n');
  return panel(1, 'stat', 'Источник цифр', 'Snapshot (frozen at the end of that day) or reconstructed from the status history; reconstructed days have no task figures.', { x: 0, y: 0, w: 24, h: 4 }, {
    datasource: PG_DS,
    targets: [pgTarget(sql)],
    fieldConfig: {
      defaults: {
        color: { mode: 'thresholds' },
        thresholds: { mode: 'absolute', steps: [{ color: 'orange', value: null }] },
        mappings: [
          { type: 'value', options: { snapshot: { text: 'Снимок дня (зафиксирован вечером)', color: 'green', index: 0 }, reconstructed: { text: 'Восстановлено по истории статусов', color: 'orange', index: 1 } } },
        ],
      },
      overrides: [],
    },
    options: statOptions({ calcs: ['lastNotNull'], fields: '/^source$/' }),
  });
}

export function history(): Json {
  return dashboard({
    uid: 'amokpi-history',
    title: 'История: показатели на дату',
    description: 'History: the per-manager and department figures as of any past date, marked snapshot or reconstructed.',
    tags: [],
    time: { from: 'now-30d', to: 'now' },
    refresh: '',
    variables: [dateVariable(), pluginVariable('manager', 'Менеджер', true), pluginVariable('pipeline', 'Воронка', false)],
    panels: [
      sourceMarker(),
      managersTable(2, 'План и задачи по менеджерам на $date', 'Per-manager figures as of the end of the chosen day (task figures only from a snapshot).', { x: 0, y: 4, w: 24, h: 12 }, '$date'),
      ...departmentPanels(3, 16, '$date'),
    ],
  });
}
