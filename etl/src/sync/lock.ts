import type { Db } from '../db/pgp';

/**
 * The advisory lock every amokpi sync takes: the two-int key space ("amok", "sync"), apart from the
 * single-bigint keys other parts of amokpi use (the OAuth first exchange, migrations).
 */
export const SYNC_LOCK_KEY: [number, number] = [0x616d6f6b, 0x73796e63];

export class SyncBusyError extends Error {
  override name = 'SyncBusyError';
  constructor() {
    super('another amokpi sync is running on this database (advisory lock held); try again when it finishes');
  }
}

/**
 * Runs fn while holding the session-level advisory lock on a dedicated connection, so that two workers
 * (or a worker and `amokpi sync`) on the same database never sync at once. Busy → SyncBusyError, no waiting.
 */
export async function withSyncLock<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const conn = await db.connect();
  try {
    const { locked } = await conn.one<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', SYNC_LOCK_KEY);
    if (!locked) throw new SyncBusyError();
    try {
      return await fn();
    } finally {
      await conn.none('SELECT pg_advisory_unlock($1, $2)', SYNC_LOCK_KEY).catch(() => undefined);
    }
  } finally {
    conn.done();
  }
}
