import { DataFrame, FieldConfig, FieldType, createDataFrame } from '@grafana/data';

import { DEPARTMENT_FIGURES, DepartmentFigure, DepartmentKpi } from '../api/schemas';
import { FrameContext } from './context';
import { bilingual, currencyUnit } from './fields';

const FIGURE_LABELS: Record<DepartmentFigure, [ru: string, en: string, money: boolean]> = {
  wonAmount: ['Выиграно', 'Won', true],
  wonCount: ['Сделок выиграно', 'Deals won', false],
  avgWonAmount: ['Средний чек', 'Average deal', true],
  inProgressAmount: ['В работе', 'In progress', true],
  inProgressCount: ['Сделок в работе', 'Deals in progress', false],
  planAmount: ['План', 'Plan', true],
  planRemainder: ['Остаток плана', 'Plan remainder', true],
};

function changeOf(kpi: DepartmentKpi, figure: DepartmentFigure): { abs: number | null; pct: number | null } {
  const c = kpi.change?.[figure];
  return { abs: c?.abs ?? null, pct: c?.pct ?? null };
}

/**
 * Department vs the previous period, as two frames: `department` has one row per figure (a table),
 * `departmentWide` one row with `<figure>`, `<figure>Previous`, `<figure>ChangePct` fields (stat
 * panels), where each field can carry its own unit.
 */
export function departmentFrames(kpi: DepartmentKpi, ctx: FrameContext): DataFrame[] {
  const unit = currencyUnit(kpi.currency ?? ctx.currency);
  const long = createDataFrame({
    refId: ctx.refId,
    name: 'department',
    meta: { custom: { date: kpi.current.date, previousDate: kpi.previous.date } },
    fields: [
      { name: 'figureId', type: FieldType.string, values: [...DEPARTMENT_FIGURES], config: { custom: { hidden: true } } },
      {
        name: 'figure',
        type: FieldType.string,
        values: DEPARTMENT_FIGURES.map((f) => bilingual(FIGURE_LABELS[f][0], FIGURE_LABELS[f][1])),
        config: { displayName: bilingual('Показатель', 'Figure') },
      },
      {
        name: 'current',
        type: FieldType.number,
        values: DEPARTMENT_FIGURES.map((f) => kpi.current[f] ?? null),
        config: { displayName: bilingual('Текущий период', 'Current'), decimals: 0 },
      },
      {
        name: 'previous',
        type: FieldType.number,
        values: DEPARTMENT_FIGURES.map((f) => kpi.previous[f] ?? null),
        config: { displayName: bilingual('Прошлый период', 'Previous'), decimals: 0 },
      },
      {
        name: 'changeAbs',
        type: FieldType.number,
        values: DEPARTMENT_FIGURES.map((f) => changeOf(kpi, f).abs),
        config: { displayName: bilingual('Изменение', 'Change'), decimals: 0 },
      },
      {
        name: 'changePct',
        type: FieldType.number,
        values: DEPARTMENT_FIGURES.map((f) => changeOf(kpi, f).pct),
        config: { displayName: bilingual('Изменение, %', 'Change, %'), unit: 'percent', decimals: 1 },
      },
    ],
  });

  const wideFields = DEPARTMENT_FIGURES.flatMap((f) => {
    const [ru, en, money] = FIGURE_LABELS[f];
    const config: FieldConfig = money ? { unit } : { decimals: 0 };
    return [
      { name: f, type: FieldType.number, values: [kpi.current[f] ?? null], config: { ...config, displayName: bilingual(ru, en) } },
      {
        name: `${f}Previous`,
        type: FieldType.number,
        values: [kpi.previous[f] ?? null],
        config: { ...config, displayName: bilingual(`${ru} (прошлый период)`, `${en} (previous)`) },
      },
      {
        name: `${f}ChangePct`,
        type: FieldType.number,
        values: [changeOf(kpi, f).pct],
        config: { unit: 'percent', decimals: 1, displayName: bilingual(`${ru}, изменение %`, `${en}, change %`) },
      },
    ];
  });
  const wide = createDataFrame({ refId: ctx.refId, name: 'departmentWide', fields: wideFields });
  return [long, wide];
}
