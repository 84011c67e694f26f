import type { Db } from '../db/pgp';
import { log } from '../log';

/**
 * The tables of amo and kpi that are now more than twice the size their statistics describe (pages on disk
 * against those of their last ANALYZE; never analyzed counts as empty), from 128 kB on, among those this role
 * may analyze (it owns them, as the role that ran the migrations does). Sizes, not pg_stat_user_tables' change
 * counts: those reach the view up to a second (idle: ten) after the commit, and a first sync can be that fast.
 */
const GROWN_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname IN ('amo', 'kpi') AND c.relkind = 'r' AND pg_has_role(c.relowner, 'USAGE')
     AND pg_relation_size(c.oid) > greatest(16, 2 * c.relpages)::bigint * current_setting('block_size')::bigint
   ORDER BY 1`;

/**
 * Keeps the planner's statistics up with a bulk load. A new install's first sync fills empty tables faster than
 * autovacuum analyzes them (it looks once a minute; a sync without a rate limit can be over by then), and the
 * plans Postgres makes from the statistics of empty tables walk every open or won lead for each statement the
 * triggers refresh: a 50 000-lead account took 43 s to write instead of 25 s. Run between batches (through
 * statisticsKeeper): the tables that have doubled since their last ANALYZE are analyzed again (which also makes
 * the sessions plan again), so a table growing to N pages is analyzed about log2(N / 16) times, a few hundred ms
 * each at a million rows.
 * Returns the tables analyzed. A failure is logged and the sync goes on: autovacuum still gets to them.
 */
export async function analyzeGrownTables(db: Db): Promise<string[]> {
  try {
    const grown = await db.map(GROWN_SQL, [], (r: { name: string }) => r.name);
    if (grown.length) {
      const t0 = Date.now();
      await db.none(`ANALYZE ${grown.join(', ')}`);
      log().debug({ tables: grown, ms: Date.now() - t0 }, 'statistics refreshed after a bulk write');
    }
    return grown;
  } catch (err) {
    log().warn({ err }, 'could not refresh the statistics of the tables the sync writes; autovacuum will');
    return [];
  }
}

/**
 * analyzeGrownTables at most once per `everyMs`: its catalog query takes ~0.8 ms, a 250-row batch ~12 ms, and a
 * table that doubled is analyzed a quarter of a second later at most.
 */
export function statisticsKeeper(db: Db, everyMs = 250): () => Promise<void> {
  let last = -Infinity;
  return async () => {
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    await analyzeGrownTables(db);
  };
}
