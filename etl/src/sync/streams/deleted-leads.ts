import { markLeadsDeleted } from '../deletions';
import { leadSchema, type AmoLead } from '../schemas';
import { tsColumn, upserter } from '../upsert';
import { ascendingWalk, type AscendingState } from '../walk';
import type { Stream } from '../types';
import { LEAD_COLUMNS, leadRow } from './leads';

// A lead first met in the trash is stored with its trash data; a known lead keeps the data it had alive.
const insertMissing = upserter<ReturnType<typeof leadRow> & { deleted_at: number | null }>({
  table: { schema: 'amo', table: 'leads' },
  columns: [...LEAD_COLUMNS, tsColumn('deleted_at')],
  key: ['id'],
  immutable: true,
});

/**
 * The trash (`with=only_deleted`), walked by updated_at like leads. A server that ignored the parameter would
 * hand back live leads, so only items flagged is_deleted=true count as deletions.
 */
export const deletedLeads: Stream<AmoLead> = {
  name: 'deleted_leads',
  read: (ctx, state) =>
    ascendingWalk(
      ctx,
      { path: '/api/v4/leads', embedded: 'leads', entity: 'lead', item: leadSchema, limit: 250, query: { with: 'only_deleted' }, accept: (l) => l.is_deleted === true },
      state as AscendingState,
    ),
  key: (l) => l.id,
  version: (l) => l.updated_at,
  plan(items) {
    return [
      insertMissing(items.map((l) => ({ ...leadRow(l), deleted_at: l.updated_at })), 'deleted'),
      markLeadsDeleted(items.map((l) => ({ id: l.id, at: l.updated_at }))),
    ];
  },
};
