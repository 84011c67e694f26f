import type { Db } from './pgp';

/**
 * Ends a pool and resolves once every connection has really closed.
 *
 * pg-pool resolves end() as soon as its client list is empty, before the clients' sockets close, and pg-promise
 * drops its pool error listener at that moment. A server stopped right after (the embedded Postgres on Ctrl-C)
 * then sends "terminating connection due to administrator command" to a client nobody listens to, and the
 * process dies of an unhandled 'error' event. So: keep a listener until the end, and wait for every 'remove'.
 */
export async function closePool(db: Db, timeoutMs = 5000): Promise<void> {
  const pool = db.$pool;
  if (pool.ended) return;
  pool.on('error', () => {
    /* a connection the server closes while we are closing it ourselves */
  });
  let open = pool.totalCount;
  const allClosed = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    const timer = setTimeout(resolve, timeoutMs);
    pool.on('remove', () => {
      if (--open <= 0) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await pool.end();
  await allClosed;
}
