import { pgp, type Db, type Tx } from '../db/pgp';

/** Per-stream cursors in app.sync_state; always written in the transaction of the page they follow. */
export async function loadState<S>(db: Db | Tx, stream: string): Promise<S | undefined> {
  const row = await db.oneOrNone<{ cursor: S }>('SELECT cursor FROM app.sync_state WHERE stream = $1', [stream]);
  return row && row.cursor && Object.keys(row.cursor as object).length > 0 ? row.cursor : undefined;
}

const SAVE = `INSERT INTO app.sync_state (stream, cursor, updated_at) VALUES ($1, $2::jsonb, now())
     ON CONFLICT (stream) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`;

/** The statement that stores a stream's cursor (sent in the same transaction as the rows it follows). */
export function saveStateSql(stream: string, cursor: unknown): string {
  return pgp.as.format(SAVE, [stream, JSON.stringify(cursor ?? {})]);
}

export async function saveState(tx: Tx, stream: string, cursor: unknown): Promise<void> {
  await tx.none(saveStateSql(stream, cursor));
}
