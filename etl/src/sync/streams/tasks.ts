import type { Db } from '../../db/pgp';
import { deleteTasks } from '../deletions';
import { taskSchema, type AmoTask } from '../schemas';
import { rawOf, ts, tsColumn, upserter } from '../upsert';
import { idOrderWalk, unlisted, type IdOrderState, type ListSpec } from '../walk';
import type { Stream } from '../types';

const upsert = upserter({
  table: { schema: 'amo', table: 'tasks' },
  columns: [
    'id', 'responsible_user_id', 'entity_id', 'entity_type', 'task_type_id', 'text', 'is_completed',
    tsColumn('complete_till'), tsColumn('created_at'),
    tsColumn('updated_at'), { name: 'raw', cast: 'jsonb' },
  ],
  key: ['id'],
});

const spec: ListSpec<AmoTask> = { path: '/api/v4/tasks', embedded: 'tasks', entity: 'task', item: taskSchema, limit: 250 };

/** Tasks by updated_at, ordered by id; deletions come from task_deleted events and the full pass's set difference. */
export const tasks: Stream<AmoTask> = {
  name: 'tasks',
  read: (ctx, state) => idOrderWalk(ctx, spec, state as IdOrderState),
  key: (t) => t.id,
  version: (t) => t.updated_at,
  plan(items) {
    const rows = items.map((t) => ({
      id: t.id,
      responsible_user_id: t.responsible_user_id ?? null,
      entity_id: t.entity_id ?? null,
      entity_type: t.entity_type ?? null,
      task_type_id: t.task_type_id ?? null,
      text: t.text ?? null,
      is_completed: t.is_completed,
      complete_till: ts(t.complete_till),
      created_at: ts(t.created_at),
      updated_at: ts(t.updated_at),
      raw: rawOf(t),
    }));
    return [upsert(rows)];
  },
  async reconcile(db: Db, seen, ctx) {
    // Paged by number over a live list, a walk misses a row whenever a task before it is deleted meanwhile:
    // a task not seen is deleted only once amoCRM, asked for it by id, no longer returns it.
    const candidates = await db.map('SELECT id FROM amo.tasks WHERE NOT (id = ANY($1::bigint[])) ORDER BY id', [[...seen]], (r: { id: string | number }) => Number(r.id));
    const del = deleteTasks(await unlisted(ctx, spec, candidates));
    return del ? db.result(del.sql, undefined, (r) => r.rowCount ?? 0) : 0;
  },
};
