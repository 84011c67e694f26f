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

/**
 * The pool's connection string and libpq startup options: the KPI settings, then those of an `options` parameter
 * in the URL (so the URL's own win where both set one). pg lets a URL's parameters replace the pool's, so options
 * the URL brings are merged into it; a URL the WHATWG parser cannot read (a socket path) is passed on as it is.
 */
export function sessionConnection(url: string): { connectionString: string; options: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { connectionString: url, options: KPI_SESSION_OPTIONS };
  }
  const own = parsed.searchParams.get('options');
  if (!own) return { connectionString: url, options: KPI_SESSION_OPTIONS };
  const options = `${KPI_SESSION_OPTIONS} ${own}`;
  parsed.searchParams.set('options', options);
  return { connectionString: parsed.toString(), options };
}

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
  // `options` is the libpq startup parameter, which pg sends (pg-promise's types omit it).
  const connection = { ...sessionConnection(url), max: 10, application_name: 'amokpi' };
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
