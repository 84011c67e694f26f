import { amokpiTarget, dashboard, keepFields, override, panel, pluginVariable, statOptions, thresholds, PLUGIN_DS, type Json } from './panels';

interface Figure {
  field: string;
  ru: string;
  en: string;
  /** A rise is bad news (the plan remainder). */
  inverted?: boolean;
}

const FIGURES: Figure[] = [
  { field: 'wonAmount', ru: 'Выиграно', en: 'Won amount' },
  { field: 'inProgressAmount', ru: 'В работе', en: 'In progress amount' },
  { field: 'avgWonAmount', ru: 'Средний чек', en: 'Average won deal' },
  { field: 'wonCount', ru: 'Сделок выиграно', en: 'Won count' },
  { field: 'inProgressCount', ru: 'Сделок в работе', en: 'In-progress count' },
  { field: 'planRemainder', ru: 'Остаток плана', en: 'Plan remainder', inverted: true },
];

/**
 * One stat per figure from the department query's wide frame: the value now, the value on the same day
 * of the previous month, and the change in percent (green when it moved the right way).
 */
function figureStat(id: number, f: Figure, x: number, y: number, date?: string): Json {
  const good = f.inverted ? thresholds('green', [[0.05, 'red']]) : thresholds('red', [[0, 'green']]);
  return panel(id, 'stat', f.ru, `${f.en}: now, on the same day of the previous month, and the change.`, { x, y, w: 8, h: 8 }, {
    datasource: PLUGIN_DS,
    targets: [amokpiTarget('department', { pipelineId: '$pipeline', ...(date ? { date } : {}) })],
    transformations: [keepFields([f.field, `${f.field}Previous`, `${f.field}ChangePct`])],
    fieldConfig: {
      defaults: { color: { mode: 'fixed', fixedColor: 'text' }, noValue: '—' },
      overrides: [
        override(f.field, { displayName: 'Сейчас' }),
        override(`${f.field}Previous`, { displayName: 'Месяц назад', color: { mode: 'fixed', fixedColor: 'text' } }),
        override(`${f.field}ChangePct`, { displayName: 'Изменение', unit: 'percent', decimals: 1, color: { mode: 'thresholds' }, thresholds: good }),
      ],
    },
    options: statOptions({ calcs: ['lastNotNull'], colorMode: 'value', textMode: 'value_and_name', orientation: 'vertical', extra: { text: { titleSize: 22 } } }),
  });
}

/** The six department stats (3 × 2) starting at grid row y, then the detail table. */
export function departmentPanels(firstId: number, y: number, date?: string): Json[] {
  const stats = FIGURES.map((f, i) => figureStat(firstId + i, f, (i % 3) * 8, y + Math.floor(i / 3) * 8, date));
  const table = panel(
    firstId + FIGURES.length,
    'table',
    'Все показатели отдела',
    'Every department figure with the previous period and the absolute and percent change.',
    { x: 0, y: y + 16, w: 24, h: 9 },
    {
      datasource: PLUGIN_DS,
      targets: [amokpiTarget('department', { pipelineId: '$pipeline', ...(date ? { date } : {}) })],
      transformations: [keepFields(['figure', 'current', 'previous', 'changeAbs', 'changePct'])],
      fieldConfig: {
        defaults: { custom: { align: 'auto', cellOptions: { type: 'auto' }, inspect: false }, noValue: '—' },
        overrides: [
          override('figure', { displayName: 'Показатель' }),
          override('current', { displayName: 'Сейчас' }),
          override('previous', { displayName: 'Месяц назад' }),
          override('changeAbs', { displayName: 'Изменение' }),
          override('changePct', { displayName: 'Изменение, %', color: { mode: 'thresholds' }, thresholds: thresholds('red', [[0, 'green']]), 'custom.cellOptions': { type: 'color-text' } }),
        ],
      },
      options: { showHeader: true, cellHeight: 'md', footer: { show: false, reducer: ['sum'], fields: '' } },
    },
  );
  return [...stats, table];
}

export function department(): Json {
  return dashboard({
    uid: 'amokpi-department',
    title: 'Отдел: сравнение с прошлым месяцем',
    description: 'Department vs previous period: won, in progress, average deal, counts and plan remainder, each against the same day of the previous month.',
    tags: ['tv'],
    time: { from: 'now/d', to: 'now/d' },
    refresh: '1m',
    variables: [pluginVariable('pipeline', 'Воронка', false)],
    panels: departmentPanels(1, 0),
  });
}
