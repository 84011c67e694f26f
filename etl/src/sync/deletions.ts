import { pgp } from '../db/pgp';
import type { Statement } from './types';

/**
 * Lead deletion is learned by several routes (trash, lead_deleted/lead_restored events, the full pass's set
 * difference) in no guaranteed order, so each rule compares instants instead of trusting arrival order.
 * The trash is authoritative as of the moment it was read; the full pass's set difference (confirmed by a look-up
 * by id) only knows that a lead went after it was last seen alive, and is stamped with that instant.
 * Events are history: a deletion event sticks only if it is strictly newer than the last time the lead was
 * seen alive (its updated_at), so a deletion and a restoration within one second cannot resurrect a zombie;
 * a restoration clears a deletion that is not newer than itself. KPI views filter on amo.leads.deleted_at, which is how the
 * deletion reaches every table that refers to the lead (tasks, notes, events stay as history). Stored reconstructed days
 * follow too: a trigger on amo.leads (migration 0013) drops them from the day before the lead's creation on whenever
 * deleted_at turns non-null or null, whichever statement does it; frozen snapshot days keep what they froze.
 */

/**
 * Marks leads deleted at the given Unix instants (the newest instant per lead wins), from a route that reads
 * current state (trash, set difference). Counts the rows changed.
 */
export function markLeadsDeleted(pairs: Array<{ id: number; at: number }>): Statement | null {
  if (pairs.length === 0) return null;
  const sql = pgp.as.format(
    `UPDATE amo.leads AS t SET deleted_at = v.at
       FROM (SELECT id, to_timestamp(max(at)) AS at FROM unnest($1::bigint[], $2::float8[]) AS u(id, at) GROUP BY id) AS v
      WHERE t.id = v.id AND (t.deleted_at IS NULL OR t.deleted_at < v.at)`,
    [pairs.map((p) => p.id), pairs.map((p) => p.at)],
  );
  return { sql, counts: 'deleted' };
}

/**
 * Marks leads deleted that the full pass's set difference found and amoCRM confirmed it no longer lists. When
 * they went is unknown (only that it was after they were last seen alive), so the mark is stamped with the
 * stored updated_at: a later sighting in the live list (upsert: deleted_at <= updated_at clears it) or a
 * restoration event undoes a wrong mark, and a lead_deleted event (newer) or the trash replaces it.
 */
export function markLeadsUnlisted(ids: number[]): Statement | null {
  if (ids.length === 0) return null;
  const sql = pgp.as.format(
    `UPDATE amo.leads SET deleted_at = coalesce(updated_at, to_timestamp(0))
      WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL`,
    [ids],
  );
  return { sql, counts: 'deleted' };
}

/**
 * Re-derives the deletion state of these leads from their stored lead_deleted / lead_restored events: the
 * latest one decides. Because it reads amo.events rather than the current page, event pages may be applied
 * in any order (they arrive newest first) and still converge. Its row carries the number of leads newly deleted.
 */
export function applyLeadDeletionEvents(leadIds: number[]): Statement | null {
  if (leadIds.length === 0) return null;
  const sql = pgp.as.format(
    `WITH last AS (
       SELECT DISTINCT ON (entity_id) entity_id AS id, type, created_at AS at
         FROM amo.events
        WHERE type IN ('lead_deleted', 'lead_restored') AND entity_id = ANY($1::bigint[])
        ORDER BY entity_id, created_at DESC, id DESC
     ), del AS (
       UPDATE amo.leads AS t SET deleted_at = last.at FROM last
        WHERE last.type = 'lead_deleted' AND t.id = last.id
          AND (t.deleted_at IS NULL OR t.deleted_at < last.at) AND (t.updated_at IS NULL OR t.updated_at < last.at)
       RETURNING t.id
     ), res AS (
       UPDATE amo.leads AS t SET deleted_at = NULL FROM last
        WHERE last.type = 'lead_restored' AND t.id = last.id AND t.deleted_at <= last.at
       RETURNING t.id
     )
     SELECT (SELECT count(*) FROM del)::int AS deleted, (SELECT count(*) FROM res)::int AS restored`,
    [leadIds],
  );
  return { sql, counts: 'deleted_row' };
}

/** Tasks have no trash: a deleted task is removed. */
export function deleteTasks(ids: number[]): Statement | null {
  if (ids.length === 0) return null;
  return { sql: pgp.as.format('DELETE FROM amo.tasks WHERE id = ANY($1::bigint[])', [ids]), counts: 'deleted' };
}
