import type { Db } from '../db/pgp';

/** Arbitrary but fixed: the advisory lock key every amokpi sync takes ("amokpi" in ASCII-ish). */
export const SYNC_LOCK_KEY = 0x616d6f6b;

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
    const { locked } = await conn.one<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [SYNC_LOCK_KEY]);
    if (!locked) throw new SyncBusyError();
    try {
      return await fn();
    } finally {
      await conn.none('SELECT pg_advisory_unlock($1)', [SYNC_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    conn.done();
  }
}
