import type { Db } from '../db';

/**
 * The zone each database keeps its per-day figures in (kpi.activity_zone: the activity cells, the open deals' local
 * days), as this process last made sure. Another process may keep another zone since: the KPI functions then
 * compute in the zone asked for themselves (kpi.activity from the history, kpi.stale_deals per row), slower, never
 * wrong.
 */
const keptZones = new WeakMap<Db, string>();

/**
 * Makes `zone` the kept one (kpi.use_activity_zone: a one-off rebuild when it changes), once per zone and database
 * in this process, not on every request: a round trip each time, and two processes with different zones would
 * rebuild the cells in turn.
 */
export async function keepZone(db: Db, zone: string): Promise<void> {
  if (keptZones.get(db) === zone) return;
  await db.one('SELECT kpi.use_activity_zone($1)', [zone]);
  keptZones.set(db, zone);
}
