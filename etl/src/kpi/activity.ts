import type { Db } from '../db';
import type { KpiContext } from './context';
import { userNames } from './names';

export interface ActivityRow {
  date: string;
  managerId: number;
  managerName: string | null;
  callMinutes: number;
  messages: number;
  activityMinutes: number;
}

export interface Activity {
  timezone: string;
  messageMinutes: number;
  rows: ActivityRow[];
}

/**
 * Activity per manager per day over [from, to], every day present for every manager on the board (calls
 * or messages in the range, or a plan in one of its months), zeros where nothing happened.
 */
export async function activity(db: Db, ctx: KpiContext, from: string, to: string, managerId: number | null): Promise<Activity> {
  // Keeps the per-day activity cells in this zone (a no-op unless the zone changed; then a one-off rebuild).
  await db.one('SELECT kpi.use_activity_zone($1)', [ctx.zone]);
  // 6 000 rows for a month of 200 managers: names from a lookup fetched meanwhile, one string per manager.
  const [rows, names] = await Promise.all([
    db.any(
      `WITH a AS (SELECT * FROM kpi.activity($(from)::date, $(to)::date, $(zone))),
       m AS (
         SELECT manager_id FROM a
         UNION
         SELECT manager_id FROM app.plans WHERE month BETWEEN date_trunc('month', $(from)::date)::date AND $(to)::date
       ),
       mm AS (
         SELECT manager_id FROM m
          WHERE ($(managers)::bigint[] IS NULL OR manager_id = ANY($(managers)::bigint[]))
            AND ($(managerId)::bigint IS NULL OR manager_id = $(managerId)::bigint)
       ),
       d AS (SELECT generate_series($(from)::date, $(to)::date, interval '1 day')::date AS day)
       SELECT to_char(d.day, 'YYYY-MM-DD') AS date, mm.manager_id,
              round(coalesce(a.call_seconds, 0) / 60.0, 1)::float8 AS call_minutes,
              coalesce(a.messages, 0) AS messages,
              round(coalesce(a.call_seconds, 0) / 60.0 + coalesce(a.messages, 0) * $(weight)::numeric, 1)::float8 AS activity_minutes
         FROM d CROSS JOIN mm
         LEFT JOIN a ON a.day = d.day AND a.manager_id = mm.manager_id
         LEFT JOIN amo.users u ON u.id = mm.manager_id
        ORDER BY d.day, u.name NULLS LAST, mm.manager_id`,
      { from, to, zone: ctx.zone, managers: ctx.managers, managerId, weight: String(ctx.messageMinutes) },
    ),
    userNames(db),
  ]);
  return {
    timezone: ctx.zone,
    messageMinutes: ctx.messageMinutes,
    rows: rows.map((r) => ({
      date: r.date,
      managerId: r.manager_id,
      managerName: names.get(r.manager_id) ?? null,
      callMinutes: r.call_minutes,
      messages: r.messages,
      activityMinutes: r.activity_minutes,
    })),
  };
}
