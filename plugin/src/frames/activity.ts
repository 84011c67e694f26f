import { DataFrame, FieldType, createDataFrame, dateTimeParse } from '@grafana/data';

import { ActivityKpi } from '../api/schemas';
import { FrameContext, keepManager } from './context';
import { buildFields, managerNameField } from './fields';

type Row = ActivityKpi['rows'][number];

/** Activity per manager per day, long format (one row per manager and day), time = day start in the account zone. */
export function activityFrame(kpi: ActivityKpi, ctx: FrameContext): DataFrame {
  const timeZone = kpi.timezone ?? ctx.timezone ?? 'utc';
  const rows = kpi.rows.filter((r) => keepManager(ctx, r.managerId));
  // Plain numbers: Grafana's 'm' unit turns 90 into "1.5 hour" under a "minutes" heading.
  const minutes = { decimals: 1 };
  return createDataFrame({
    refId: ctx.refId,
    name: 'activity',
    fields: buildFields<Row>(
      [
        {
          name: 'date',
          type: FieldType.time,
          ru: 'День',
          en: 'Day',
          value: (r) => dateTimeParse(r.date, { timeZone, format: 'YYYY-MM-DD' }).valueOf(),
        },
        managerNameField,
        { name: 'callMinutes', type: FieldType.number, ru: 'Звонки, мин', en: 'Call minutes', value: (r) => r.callMinutes, config: minutes },
        { name: 'messages', type: FieldType.number, ru: 'Сообщения', en: 'Messages', value: (r) => r.messages },
        {
          name: 'activityMinutes',
          type: FieldType.number,
          ru: 'Активность, мин',
          en: 'Activity minutes',
          value: (r) => r.activityMinutes,
          config: minutes,
        },
      ],
      rows
    ),
  });
}
