import { pgp, type Db } from '../db/pgp';
import type { StreamResult, SyncMode } from './types';

/** The error a run gets when its process died before recording its end (see openRun). */
export const INTERRUPTED = 'interrupted: the process running this sync stopped before recording its end';

/**
 * app.sync_runs: one row per stream per run, opened at its start so a killed run stays visible.
 * The caller holds the sync advisory lock, so any other row still open belongs to a process that died (kill -9,
 * a database that went away before closeRun): it is closed as interrupted, not shown as running forever.
 */
export async function openRun(db: Db, stream: string, mode: SyncMode): Promise<number> {
  const row = await db.one<{ id: number }>(
    `WITH stale AS (UPDATE app.sync_runs SET finished_at = now(), error = $3 WHERE finished_at IS NULL)
     INSERT INTO app.sync_runs (stream, mode) VALUES ($1, $2) RETURNING id`,
    [stream, mode, INTERRUPTED],
  );
  return row.id;
}

export async function closeRun(db: Db, id: number, r: StreamResult): Promise<void> {
  await db.none(
    `UPDATE app.sync_runs SET finished_at = now(), fetched = $2, upserted = $3, deleted = $4, requests = $5,
       throttled = $6, error = $7 WHERE id = $1`,
    [id, r.fetched, r.upserted, r.deleted, r.requests, r.throttled ?? 0, r.error ?? null],
  );
}

/** Counts of a stream that is still running. */
export interface RunCounts {
  fetched: number;
  upserted: number;
  deleted: number;
  requests: number;
  throttled: number;
}

/**
 * The statement that records a running stream's counts so far: the engine sends it with every batch, in that
 * batch's transaction, so GET /api/v1/status shows a long stream moving, not 0 rows until it ends.
 */
export function runProgressSql(id: number, c: RunCounts): string {
  return pgp.as.format('UPDATE app.sync_runs SET fetched = $2, upserted = $3, deleted = $4, requests = $5, throttled = $6 WHERE id = $1', [
    id, c.fetched, c.upserted, c.deleted, c.requests, c.throttled,
  ]);
}
