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
  const db = pgp({ connectionString: url, max: 10, application_name: 'amokpi' });
  return {
    db,
    url,
    async close() {
      await closePool(db);
      await stopEmbedded();
    },
  };
}
