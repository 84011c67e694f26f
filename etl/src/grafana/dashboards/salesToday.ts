import { amokpiTarget, dashboard, freshnessStat, keepFields, managersTable, override, panel, pluginName, pluginVariable, thresholds, PLUGIN_DS, type Json } from './panels';

/** Message minutes = activity minutes − call minutes, so the two stacked parts add up to the activity figure. */
function activityBars(): Json {
  return panel(
    3,
    'barchart',
    'Активность сегодня, мин',
    'Activity today in minutes per manager: calls (blue) and messages at AMOKPI_MESSAGE_MINUTES each (orange), stacked.',
    { x: 16, y: 4, w: 8, h: 11 },
    {
      datasource: PLUGIN_DS,
      targets: [amokpiTarget('activity', { managerId: '$manager' })],
      transformations: [
        {
          id: 'calculateField',
          options: {
            mode: 'binary',
            binary: {
              left: { matcher: { id: 'byName', options: pluginName('Активность, мин', 'Activity minutes') } },
              operator: '-',
              right: { matcher: { id: 'byName', options: pluginName('Звонки, мин', 'Call minutes') } },
            },
            alias: 'messageMinutes',
            replaceFields: false,
          },
        },
        keepFields(['managerName', 'callMinutes', 'messageMinutes']),
      ],
      fieldConfig: {
        defaults: {
          unit: 'm',
          decimals: 0,
          min: 0,
          color: { mode: 'fixed' },
          custom: { fillOpacity: 90, lineWidth: 0, gradientMode: 'none', axisPlacement: 'auto', axisLabel: '', hideFrom: { legend: false, tooltip: false, viz: false } },
        },
        overrides: [
          override('callMinutes', { displayName: 'Звонки', color: { mode: 'fixed', fixedColor: 'blue' } }),
          override('messageMinutes', { displayName: 'Переписка', color: { mode: 'fixed', fixedColor: 'orange' } }),
        ],
      },
      options: {
        xField: 'managerName',
        orientation: 'horizontal',
        stacking: 'normal',
        showValue: 'never',
        groupWidth: 0.8,
        barWidth: 0.9,
        barRadius: 0,
        fullHighlight: false,
        xTickLabelRotation: 0,
        xTickLabelSpacing: 0,
        legend: { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] },
        tooltip: { mode: 'multi', sort: 'none' },
        text: { valueSize: 18 },
      },
    },
  );
}

const STALE_DAYS = 7;
/**
 * A TV shows a screenful of rows, never scrolled: at 1M leads the unfiltered list is 16-25 thousand rows
 * (4-6 MB) re-downloaded and parsed every refresh, so the board asks the API for the longest-stuck ones only.
 */
export const TV_STALE_LIMIT = 50;

/** Deals sitting in their stage for a week or more, longest first (the API's order), each linking to amoCRM. */
function stuckDeals(): Json {
  return panel(
    4,
    'table',
    `Зависшие сделки (${STALE_DAYS}+ дней на этапе)`,
    `Зависшие сделки: активные сделки на одном этапе ${STALE_DAYS} дней и больше, сначала самые давние; название сделки открывает её в amoCRM. ` +
      `Табло показывает только ${TV_STALE_LIMIT} самых давних: экран, а не весь список (весь — в Explore без ограничения строк).\n\n` +
      `Stuck deals: active deals in the same stage for ${STALE_DAYS} days or more, longest first; the deal name opens it in amoCRM. ` +
      `The TV shows only the ${TV_STALE_LIMIT} longest-stuck: a screenful, not the whole list (all of it: Explore with no row limit).`,
    { x: 0, y: 15, w: 24, h: 10 },
    {
      datasource: PLUGIN_DS,
      targets: [amokpiTarget('staleDeals', { managerId: '$manager', pipelineId: '$pipeline', minDays: STALE_DAYS, limit: TV_STALE_LIMIT })],
      transformations: [
        // url stays in the frame (hidden): the deal name's data link reads it.
        keepFields(['managerName', 'statusName', 'leadName', 'daysInStatus', 'price', 'pipelineName', 'url']),
        {
          id: 'organize',
          options: {
            excludeByName: {},
            renameByName: {},
            indexByName: {
              [pluginName('Менеджер', 'Manager')]: 0,
              [pluginName('Этап', 'Stage')]: 1,
              [pluginName('Сделка', 'Deal')]: 2,
              [pluginName('Дней на этапе', 'Days in stage')]: 3,
              [pluginName('Бюджет', 'Amount')]: 4,
              [pluginName('Воронка', 'Pipeline')]: 5,
              [pluginName('Ссылка', 'Link')]: 6,
            },
          },
        },
      ],
      fieldConfig: {
        defaults: { custom: { align: 'auto', cellOptions: { type: 'auto' }, inspect: false }, noValue: '—' },
        overrides: [
          override('managerName', { displayName: 'Менеджер' }),
          override('statusName', { displayName: 'Этап' }),
          override('leadName', { displayName: 'Сделка' }),
          override('daysInStatus', {
            displayName: 'Дней',
            color: { mode: 'thresholds' },
            thresholds: thresholds('transparent', [[14, 'orange'], [30, 'red']]),
            'custom.cellOptions': { type: 'color-background', mode: 'basic' },
            'custom.align': 'center',
            'custom.width': 110,
          }),
          override('price', { displayName: 'Бюджет' }),
          override('pipelineName', { displayName: 'Воронка' }),
          override('url', { 'custom.hidden': true }),
        ],
      },
      options: { showHeader: true, cellHeight: 'md', footer: { show: false, reducer: ['sum'], fields: '' } },
    },
  );
}

export function salesToday(): Json {
  return dashboard({
    uid: 'amokpi-today',
    title: 'Отдел продаж — сегодня',
    description: 'Sales team — today (the office TV board): plan completion and tasks per manager, activity, stuck deals, data freshness.',
    tags: ['tv'],
    time: { from: 'now/d', to: 'now/d' },
    refresh: '1m',
    variables: [pluginVariable('manager', 'Менеджер', true), pluginVariable('pipeline', 'Воронка', false)],
    panels: [
      managersTable(
        1,
        'План и задачи по менеджерам',
        'Per manager: plan, won this month, completion % (red < 80, yellow 80–99, green ≥ 100), plan remainder, open and overdue tasks (red above the alert threshold), leads without tasks.',
        { x: 0, y: 0, w: 16, h: 15 },
      ),
      freshnessStat(2, { x: 16, y: 0, w: 8, h: 4 }),
      activityBars(),
      stuckDeals(),
    ],
  });
}
