import { applyLeadDeletionEvents, deleteTasks } from '../deletions';
import { eventSchema, type AmoEvent } from '../schemas';
import { ts, tsColumn, upserter } from '../upsert';
import { descendingWalk, type DescendingState } from '../walk';
import type { Stream } from '../types';

/** The event types the KPIs and the deletion rules read. */
export const EVENT_TYPES = [
  'lead_status_changed', 'incoming_chat_message', 'outgoing_chat_message', 'lead_deleted', 'lead_restored', 'task_deleted',
] as const;
const wanted = new Set<string>(EVENT_TYPES);

const insert = upserter({
  table: { schema: 'amo', table: 'events' },
  columns: ['id', 'type', 'entity_id', 'entity_type', 'created_by', tsColumn('created_at'),
    { name: 'value_before', cast: 'jsonb' }, { name: 'value_after', cast: 'jsonb' }],
  key: ['id'],
  immutable: true,
});

/** Events by created_at (newest first); lead deletions/restorations and task deletions are applied with their page. */
export const events: Stream<AmoEvent> = {
  name: 'events',
  read: (ctx, state) =>
    descendingWalk(
      ctx,
      { path: '/api/v4/events', embedded: 'events', entity: 'event', item: eventSchema, limit: 100, query: { filter: { type: EVENT_TYPES.join(',') } }, accept: (e) => wanted.has(e.type) },
      state as DescendingState,
    ),
  key: (e) => e.id,
  plan(items) {
    const rows = items.map((e) => ({
      id: e.id,
      type: e.type,
      entity_id: e.entity_id ?? null,
      entity_type: e.entity_type ?? null,
      created_by: e.created_by ?? null,
      created_at: ts(e.created_at),
      value_before: JSON.stringify(e.value_before ?? null),
      value_after: JSON.stringify(e.value_after ?? null),
    }));
    const leadIds = [...new Set(items.filter((e) => (e.type === 'lead_deleted' || e.type === 'lead_restored') && e.entity_id).map((e) => e.entity_id!))];
    const taskIds = items.filter((e) => e.type === 'task_deleted' && e.entity_id).map((e) => e.entity_id!);
    // Order matters: the deletion state is re-derived from amo.events, including the rows inserted just before.
    return [insert(rows), applyLeadDeletionEvents(leadIds), deleteTasks(taskIds)];
  },
};
