import type { Config } from '../config';
import { log } from '../log';
import { pgp, type Db } from './pgp';
import { startEmbeddedPostgres } from './embedded';
import { closePool } from './close';
import { checkConnection } from './probe';

export { pgp };
export { closePool };
export type { Db, Tx } from './pgp';

export interface Database {
  db: Db;
  url: string;
  /** Closes the pool and stops an embedded server this process started. */
  close(): Promise<void>;
}

/**
 * What migration 0003 sets on the database, per session: the migration can only alter a database it owns, and
 * with JIT on a KPI query pays for compiling (measured at 1M leads: the activity board 29 -> 470 ms). Parallel
 * workers cost more to start than these index-driven queries save.
 */
const KPI_SESSION_OPTIONS = '-c jit=off -c max_parallel_workers_per_gather=0';

/** DATABASE_URL when set (checked with one connection first); otherwise the embedded Postgres in `<AMOKPI_DATA_DIR>/pg`. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Database> {
  let url = config.databaseUrl;
  let stopEmbedded = async () => {};
  if (!url) {
    log().info({ dataDir: config.dataDir }, 'DATABASE_URL not set: using embedded Postgres');
    const h = await startEmbeddedPostgres(config.dataDir, (m) => log().debug({ pg: m.trim() }, 'embedded postgres'));
    url = h.url;
    stopEmbedded = h.stop;
  } else {
    // The first connection: a wrong URL, password, role or host fails here in one line naming DATABASE_URL.
    await checkConnection(url);
  }
  // `options` is the libpq startup parameter, which pg sends (pg-promise's types omit it). An `options` in
  // DATABASE_URL replaces it: pg lets the URL's parameters win.
  const connection = { connectionString: url, max: 10, application_name: 'amokpi', options: KPI_SESSION_OPTIONS };
  const db = pgp(connection);
  return {
    db,
    url,
    async close() {
      await closePool(db);
      await stopEmbedded();
    },
  };
}
