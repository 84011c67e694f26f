import { DataFrame, FieldType, createDataFrame } from '@grafana/data';

import { StaleDeals } from '../api/schemas';
import { FrameContext, keepManager } from './context';
import { buildFields, currencyUnit, instantMs } from './fields';

type Row = StaleDeals['rows'][number];

/** Stuck deals, longest-stuck first (the API's order); each lead name links to the lead in amoCRM. */
export function staleDealsFrame(kpi: StaleDeals, ctx: FrameContext): DataFrame {
  const rows = kpi.rows.filter((r) => keepManager(ctx, r.managerId));
  return createDataFrame({
    refId: ctx.refId,
    name: 'staleDeals',
    fields: buildFields<Row>(
      [
        { name: 'leadId', type: FieldType.number, ru: 'ID сделки', en: 'Lead ID', value: (r) => r.leadId },
        {
          name: 'leadName',
          type: FieldType.string,
          ru: 'Сделка',
          en: 'Deal',
          value: (r) => r.leadName ?? `#${r.leadId}`,
          config: { links: [{ title: 'Открыть в amoCRM / Open in amoCRM', url: '${__data.fields.url}', targetBlank: true }] },
        },
        { name: 'managerId', type: FieldType.number, ru: 'ID менеджера', en: 'Manager ID', value: (r) => r.managerId },
        { name: 'managerName', type: FieldType.string, ru: 'Менеджер', en: 'Manager', value: (r) => r.managerName },
        { name: 'pipelineId', type: FieldType.number, ru: 'ID воронки', en: 'Pipeline ID', value: (r) => r.pipelineId },
        { name: 'pipelineName', type: FieldType.string, ru: 'Воронка', en: 'Pipeline', value: (r) => r.pipelineName },
        { name: 'statusId', type: FieldType.number, ru: 'ID этапа', en: 'Stage ID', value: (r) => r.statusId },
        { name: 'statusName', type: FieldType.string, ru: 'Этап', en: 'Stage', value: (r) => r.statusName },
        {
          name: 'price',
          type: FieldType.number,
          ru: 'Бюджет',
          en: 'Amount',
          value: (r) => r.price,
          config: { unit: currencyUnit(ctx.currency) },
        },
        { name: 'daysInStatus', type: FieldType.number, ru: 'Дней на этапе', en: 'Days in stage', value: (r) => r.daysInStatus },
        {
          name: 'enteredAt',
          type: FieldType.time,
          ru: 'На этапе с',
          en: 'In stage since',
          value: (r) => instantMs(r.enteredAt),
        },
        { name: 'url', type: FieldType.string, ru: 'Ссылка', en: 'Link', value: (r) => r.url, config: { custom: { hidden: true } } },
      ],
      rows
    ),
  });
}
