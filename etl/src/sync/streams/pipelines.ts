import { pgp } from '../../db/pgp';
import { pipelineSchema, type AmoPipeline } from '../schemas';
import { upserter } from '../upsert';
import { allItems } from '../walk';
import type { Stream } from '../types';

const upsertPipelines = upserter({
  table: { schema: 'amo', table: 'pipelines' },
  columns: ['id', 'name', 'sort', 'is_main', 'is_archive'],
  key: ['id'],
});
const upsertStatuses = upserter({
  table: { schema: 'amo', table: 'statuses' },
  columns: ['pipeline_id', 'id', 'name', 'sort', 'type'],
  key: ['pipeline_id', 'id'],
});

/**
 * Pipelines with their statuses (142/143 repeat in every pipeline, hence the pair key). The list is small
 * and always read whole, so stages removed in amoCRM are removed here in the same transaction.
 */
export const pipelines: Stream<AmoPipeline> = {
  name: 'pipelines',
  async *read(ctx) {
    const items = await allItems(ctx.api, { path: '/api/v4/leads/pipelines', embedded: 'pipelines', entity: 'pipeline', item: pipelineSchema, limit: 250 }, ctx.signal);
    if (!items) return; // stopped before the whole list was read
    yield { items, state: {}, progress: 1 };
  },
  key: (p) => p.id,
  plan(items) {
    if (items.length === 0) return []; // an empty answer is not a reason to wipe the stages
    const prows = items.map((p) => ({ id: p.id, name: p.name, sort: p.sort ?? 0, is_main: p.is_main ?? false, is_archive: p.is_archive ?? false }));
    const srows = items.flatMap((p) =>
      p._embedded.statuses.map((s) => ({ pipeline_id: p.id, id: s.id, name: s.name, sort: s.sort ?? 0, type: s.type ?? 0 })),
    );
    return [
      upsertPipelines(prows),
      upsertStatuses(srows),
      {
        sql: pgp.as.format('DELETE FROM amo.statuses WHERE (pipeline_id, id) NOT IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))', [
          srows.map((s) => s.pipeline_id),
          srows.map((s) => s.id),
        ]),
        counts: 'deleted',
      },
      { sql: pgp.as.format('DELETE FROM amo.pipelines WHERE NOT (id = ANY($1::bigint[]))', [prows.map((p) => p.id)]), counts: 'deleted' },
    ];
  },
};
