import type { Db, Tx } from '../db/pgp';

/** Per-stream cursors in app.sync_state; always written in the transaction of the page they follow. */
export async function loadState<S>(db: Db | Tx, stream: string): Promise<S | undefined> {
  const row = await db.oneOrNone<{ cursor: S }>('SELECT cursor FROM app.sync_state WHERE stream = $1', [stream]);
  return row && row.cursor && Object.keys(row.cursor as object).length > 0 ? row.cursor : undefined;
}

export async function saveState(tx: Tx, stream: string, cursor: unknown): Promise<void> {
  await tx.none(
    `INSERT INTO app.sync_state (stream, cursor, updated_at) VALUES ($1, $2::jsonb, now())
     ON CONFLICT (stream) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
    [stream, JSON.stringify(cursor ?? {})],
  );
}
