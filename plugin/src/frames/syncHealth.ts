import { DataFrame, FieldType, createDataFrame } from '@grafana/data';

import { Status, StreamSync } from '../api/schemas';
import { FrameContext } from './context';
import { buildFields, instantMs } from './fields';


/** Last sync per stream; lagSeconds (how old the data is) repeats on every row so any panel can show it. */
export function syncHealthFrame(status: Status, ctx: FrameContext): DataFrame {
  return createDataFrame({
    refId: ctx.refId,
    name: 'syncHealth',
    fields: buildFields<StreamSync>(
      [
        { name: 'stream', type: FieldType.string, ru: 'Поток', en: 'Stream', value: (s) => s.stream },
        { name: 'startedAt', type: FieldType.time, ru: 'Начало', en: 'Started', value: (s) => instantMs(s.startedAt) },
        { name: 'finishedAt', type: FieldType.time, ru: 'Завершено', en: 'Finished', value: (s) => instantMs(s.finishedAt) },
        { name: 'rows', type: FieldType.number, ru: 'Строк', en: 'Rows', value: (s) => s.rows },
        { name: 'requests', type: FieldType.number, ru: 'Запросов', en: 'Requests', value: (s) => s.requests },
        { name: 'error', type: FieldType.string, ru: 'Ошибка', en: 'Error', value: (s) => s.error },
        {
          name: 'lagSeconds',
          type: FieldType.number,
          ru: 'Отставание данных',
          en: 'Data lag',
          value: () => status.lagSeconds,
          config: { unit: 's' },
        },
      ],
      status.streams
    ),
  });
}
