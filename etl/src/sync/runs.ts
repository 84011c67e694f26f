import type { Db } from '../db/pgp';
import type { StreamResult, SyncMode } from './types';

/** app.sync_runs: one row per stream per run, opened at its start so a killed run stays visible. */
export async function openRun(db: Db, stream: string, mode: SyncMode): Promise<number> {
  const row = await db.one<{ id: number }>('INSERT INTO app.sync_runs (stream, mode) VALUES ($1, $2) RETURNING id', [stream, mode]);
  return row.id;
}

export async function closeRun(db: Db, id: number, r: StreamResult): Promise<void> {
  await db.none(
    `UPDATE app.sync_runs SET finished_at = now(), fetched = $2, upserted = $3, deleted = $4, requests = $5,
       throttled = $6, error = $7 WHERE id = $1`,
    [id, r.fetched, r.upserted, r.deleted, r.requests, r.throttled ?? 0, r.error ?? null],
  );
}
