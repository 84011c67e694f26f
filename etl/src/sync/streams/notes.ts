import { noteSchema, type AmoNote } from '../schemas';
import { ts, tsColumn, upserter } from '../upsert';
import { ascendingWalk, type AscendingState } from '../walk';
import type { Stream } from '../types';

const CALL_TYPES = ['call_in', 'call_out'];

const upsert = upserter({
  table: { schema: 'amo', table: 'notes' },
  columns: ['entity_type', 'id', 'entity_id', 'note_type', 'responsible_user_id', 'created_by',
    tsColumn('created_at'), tsColumn('updated_at'),
    'duration_seconds', 'uniq', { name: 'params', cast: 'jsonb' }],
  key: ['entity_type', 'id'],
});

/** Seconds of a call: params.duration may be a number or a numeric string; anything else is 0. */
export function callSeconds(params: Record<string, unknown> | null | undefined): number {
  const d = Number(params?.duration);
  return Number.isFinite(d) && d > 0 ? Math.round(d) : 0;
}

function uniqOf(params: Record<string, unknown> | null | undefined): string | null {
  const u = params?.uniq;
  return (typeof u === 'string' || typeof u === 'number') && String(u) !== '' ? String(u) : null;
}

/** Call notes of one entity type (leads or contacts), by updated_at; other note types are dropped client-side. */
function callNotes(name: string, entityType: 'leads' | 'contacts'): Stream<AmoNote> {
  return {
    name,
    read: (ctx, state) =>
      ascendingWalk(
        ctx,
        {
          path: `/api/v4/${entityType}/notes`, embedded: 'notes', entity: 'note', item: noteSchema, limit: 250,
          query: { filter: { note_type: CALL_TYPES } }, accept: (n) => CALL_TYPES.includes(n.note_type),
        },
        state as AscendingState,
      ),
    key: (n) => n.id,
    version: (n) => n.updated_at,
    plan(items) {
      const rows = items.map((n) => ({
        entity_type: entityType,
        id: n.id,
        entity_id: n.entity_id ?? null,
        note_type: n.note_type,
        responsible_user_id: n.responsible_user_id ?? null,
        created_by: n.created_by ?? null,
        created_at: ts(n.created_at),
        updated_at: ts(n.updated_at),
        duration_seconds: callSeconds(n.params),
        uniq: uniqOf(n.params),
        params: JSON.stringify(n.params ?? null),
      }));
      return [upsert(rows)];
    },
  };
}

export const leadNotes = callNotes('lead_notes', 'leads');
export const contactNotes = callNotes('contact_notes', 'contacts');
