import type { Db } from '../../db/pgp';
import { markLeadsUnlisted } from '../deletions';
import { leadSchema, type AmoLead } from '../schemas';
import { rawOf, ts, tsColumn, upserter } from '../upsert';
import { ascendingWalk, unlisted, type AscendingState, type ListSpec } from '../walk';
import type { Stream } from '../types';

export const LEAD_COLUMNS = [
  'id', 'name', 'price', 'responsible_user_id', 'pipeline_id', 'status_id', 'created_by',
  tsColumn('created_at'), tsColumn('updated_at'),
  tsColumn('closed_at'), { name: 'raw', cast: 'jsonb' },
];

export function leadRow(l: AmoLead) {
  return {
    id: l.id,
    name: l.name ?? null,
    price: l.price ?? 0,
    responsible_user_id: l.responsible_user_id ?? null,
    pipeline_id: l.pipeline_id ?? null,
    status_id: l.status_id ?? null,
    created_by: l.created_by ?? null,
    created_at: ts(l.created_at),
    updated_at: ts(l.updated_at),
    closed_at: ts(l.closed_at),
    raw: rawOf(l),
  };
}

// Seen in the normal list = alive as of its updated_at: that clears a deletion that is not newer.
const upsert = upserter<ReturnType<typeof leadRow>>({
  table: { schema: 'amo', table: 'leads' },
  columns: LEAD_COLUMNS,
  key: ['id'],
  extraSet: 'deleted_at = CASE WHEN t.deleted_at > EXCLUDED.updated_at THEN t.deleted_at ELSE NULL END',
  extraChanged: '(t.deleted_at IS NOT NULL AND t.deleted_at <= EXCLUDED.updated_at)',
});

const spec: ListSpec<AmoLead> = { path: '/api/v4/leads', embedded: 'leads', entity: 'lead', item: leadSchema, limit: 250 };

/** Leads by updated_at (keyset, ascending); the full pass marks leads missing from the list as deleted. */
export const leads: Stream<AmoLead> = {
  name: 'leads',
  read: (ctx, state) => ascendingWalk(ctx, { ...spec, accept: (l) => l.is_deleted !== true }, state as AscendingState),
  key: (l) => l.id,
  version: (l) => l.updated_at,
  plan(items) {
    return [upsert(items.map(leadRow))];
  },
  async reconcile(db: Db, seen, ctx) {
    // Purged from the trash (or deleted while we were not looking): absent from a complete walk. A walk over live
    // data can still miss a lead, so a candidate counts as deleted only when amoCRM, asked for it by id, does not
    // return it (the normal list never holds trashed leads, reference 5.1.3).
    const candidates = await db.map('SELECT id FROM amo.leads WHERE deleted_at IS NULL AND NOT (id = ANY($1::bigint[])) ORDER BY id', [[...seen]], (r: { id: string | number }) => Number(r.id));
    const mark = markLeadsUnlisted(await unlisted(ctx, { ...spec, alive: (l) => l.is_deleted !== true }, candidates));
    return mark ? db.result(mark.sql, undefined, (r) => r.rowCount ?? 0) : 0;
  },
};
