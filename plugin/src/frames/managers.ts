import { DataFrame, FieldType, createDataFrame } from '@grafana/data';

import { ManagersKpi } from '../api/schemas';
import { FrameContext, keepManager } from './context';
import { DEFAULT_BANDS, FieldSpec, bandMappings, bandThresholds, buildFields, currencyUnit, managerNameField } from './fields';

type Row = ManagersKpi['rows'][number];

const taskFields: Array<FieldSpec<Row>> = [
  { name: 'openTasks', type: FieldType.number, ru: 'Открытые задачи', en: 'Open tasks', value: (r) => r.openTasks ?? null },
  {
    name: 'overdueTasks',
    type: FieldType.number,
    ru: 'Просроченные задачи',
    en: 'Overdue tasks',
    value: (r) => r.overdueTasks ?? null,
  },
  {
    name: 'leadsWithoutTasks',
    type: FieldType.number,
    ru: 'Сделки без задач',
    en: 'Leads without tasks',
    value: (r) => r.leadsWithoutTasks ?? null,
  },
];

/** Plan completion per manager (GET /api/v1/kpi/managers). */
export function managersFrame(kpi: ManagersKpi, ctx: FrameContext): DataFrame {
  // No fixed decimals: Grafana scales money (₽2.5M), and 0 decimals would round that to ₽3M.
  const money = { unit: currencyUnit(kpi.currency ?? ctx.currency) };
  const rows = kpi.rows.filter((r) => keepManager(ctx, r.managerId));
  const specs: Array<FieldSpec<Row>> = [
    { name: 'managerId', type: FieldType.number, ru: 'ID менеджера', en: 'Manager ID', value: (r) => r.managerId },
    managerNameField,
    { name: 'planAmount', type: FieldType.number, ru: 'План', en: 'Plan', value: (r) => r.planAmount, config: money },
    { name: 'wonAmount', type: FieldType.number, ru: 'Выиграно', en: 'Won', value: (r) => r.wonAmount, config: money },
    { name: 'wonCount', type: FieldType.number, ru: 'Сделок выиграно', en: 'Deals won', value: (r) => r.wonCount },
    {
      name: 'completionPct',
      type: FieldType.number,
      ru: 'Выполнение плана',
      en: 'Plan completion',
      value: (r) => r.completionPct,
      config: {
        unit: 'percent',
        decimals: 1,
        min: 0,
        color: { mode: 'thresholds' },
        thresholds: bandThresholds(kpi.bands ?? DEFAULT_BANDS),
      },
    },
    {
      name: 'band',
      type: FieldType.string,
      ru: 'Зона',
      en: 'Band',
      value: (r) => r.band,
      config: { mappings: bandMappings },
    },
    {
      name: 'planRemainder',
      type: FieldType.number,
      ru: 'Остаток плана',
      en: 'Plan remainder',
      value: (r) => r.planRemainder,
      config: money,
    },
    ...taskFields,
  ];
  return createDataFrame({ refId: ctx.refId, name: 'managers', meta: { custom: { date: kpi.date, asOf: kpi.asOf } }, fields: buildFields(specs, rows) });
}

/** Task discipline per manager: the task columns of the same endpoint. */
export function tasksFrame(kpi: ManagersKpi, ctx: FrameContext): DataFrame {
  const rows = kpi.rows.filter((r) => keepManager(ctx, r.managerId));
  return createDataFrame({ refId: ctx.refId, name: 'tasks', fields: buildFields([managerNameField, ...taskFields], rows) });
}
