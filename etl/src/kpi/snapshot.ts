import { DateTime } from 'luxon';
import type { Config } from '../config';
import type { Db } from '../db';
import { log } from '../log';
import { loadKpiContext, type KpiContext } from './context';
import { liveFiguresSql } from './figures';
import { dayFrame, formatInstant, KpiInputError, parseDate } from './time';

export interface SnapshotResult {
  date: string;
  source: 'snapshot' | 'reconstructed';
  asOf: string;
  /** Pipeline keys frozen (0 = all pipelines). */
  pipelines: number;
  managerRows: number;
  /** True when a complete frozen day already existed and was left alone. */
  kept: boolean;
}

/**
 * Freezes day D's raw per-manager figures (wins, in progress and, for today or the day just closed, tasks as
 * of now) for all pipelines and for each pipeline. A complete frozen day is never rewritten, so later edits
 * in amoCRM cannot change it; a day frozen before it ended, or reconstructed, is replaced. Days older than
 * yesterday can only be reconstructed from the status history (tasks null).
 */
export async function snapshotDay(db: Db, config: Config, date?: string): Promise<SnapshotResult> {
  const ctx = await loadKpiContext(db, config);
  return snapshotWithContext(db, ctx, date ?? ctx.today);
}

async function snapshotWithContext(db: Db, ctx: KpiContext, date: string): Promise<SnapshotResult> {
  parseDate(date);
  if (date > ctx.today) throw new KpiInputError(`date ${date} is after today (${ctx.today} in ${ctx.zone})`);
  const frame = dayFrame(date, ctx.zone, ctx.now);
  const yesterday = DateTime.fromISO(ctx.today, { zone: 'UTC' }).minus({ days: 1 }).toISODate()!;
  const source = date >= yesterday ? 'snapshot' : 'reconstructed';
  const endOfDay = frame.isToday ? DateTime.fromISO(date, { zone: ctx.zone }).plus({ days: 1 }) : frame.asOf;
  const pipelineIds: number[] = [0, ...(await db.map('SELECT id FROM amo.pipelines ORDER BY id', [], (r) => r.id as number))];

  return db.tx(async (tx) => {
    // One writer per day; concurrent callers queue instead of interleaving.
    await tx.any("SELECT pg_advisory_xact_lock(hashtext('amokpi.snapshot'), $1)", [Number(date.replace(/-/g, '')) % 2147483647]);
    const existing = await tx.oneOrNone<{ source: string; as_of: Date }>(
      'SELECT source, as_of FROM kpi.snapshot_days WHERE day = $1 AND pipeline_id = 0',
      [date],
    );
    const complete = existing?.source === 'snapshot' && existing.as_of.getTime() >= endOfDay.toMillis();
    if (complete || (existing?.source === 'snapshot' && source === 'reconstructed')) {
      return { date, source: existing!.source as SnapshotResult['source'], asOf: formatInstant(DateTime.fromJSDate(existing!.as_of), ctx.zone), pipelines: 0, managerRows: 0, kept: true };
    }
    await tx.none('DELETE FROM kpi.snapshot_days WHERE day = $1', [date]);
    let managerRows = 0;
    for (const pid of pipelineIds) {
      const pipelineId = pid === 0 ? null : pid;
      await tx.none(
        'INSERT INTO kpi.snapshot_days (day, pipeline_id, source, as_of, taken_at) VALUES ($1, $2, $3, $4, $5)',
        [date, pid, source, frame.asOf.toISO(), ctx.now.toISO()],
      );
      const sql = liveFiguresSql(frame, { pipelineId, withTasks: source === 'snapshot', withInProgress: true, now: ctx.now.toISO()! });
      const res = await tx.result(
        `INSERT INTO kpi.snapshot_managers (day, pipeline_id, manager_id, won_amount, won_count, in_progress_amount, in_progress_count,
                                            open_tasks, overdue_tasks, leads_without_tasks)
         SELECT $1, $2, f.manager_id, sum(f.won_amount), sum(f.won_count), sum(f.in_progress_amount), sum(f.in_progress_count),
                sum(f.open_tasks), sum(f.overdue_tasks), sum(f.leads_without_tasks)
           FROM (${sql}) f GROUP BY f.manager_id`,
        [date, pid],
      );
      managerRows += res.rowCount ?? 0;
    }
    // debug: a back-fill takes hundreds of these; the callers report totals.
    log().debug({ date, source, pipelines: pipelineIds.length, managerRows }, 'snapshot taken');
    return { date, source, asOf: formatInstant(frame.asOf, ctx.zone), pipelines: pipelineIds.length, managerRows, kept: false };
  });
}

/** Reconstructs every day of [from, to] that has no snapshot yet (a full sync back-fills its months). */
export async function backfillSnapshots(db: Db, config: Config, from: string, to: string): Promise<SnapshotResult[]> {
  const ctx = await loadKpiContext(db, config);
  parseDate(from, 'from');
  parseDate(to, 'to');
  const last = to > ctx.today ? ctx.today : to;
  const have = new Set(await db.map('SELECT to_char(day, \'YYYY-MM-DD\') AS d FROM kpi.snapshot_days WHERE pipeline_id = 0 AND day BETWEEN $1 AND $2', [from, last], (r) => r.d as string));
  const out: SnapshotResult[] = [];
  for (let d = DateTime.fromISO(from, { zone: 'UTC' }); d.toISODate()! <= last; d = d.plus({ days: 1 })) {
    const date = d.toISODate()!;
    if (!have.has(date)) out.push(await snapshotWithContext(db, ctx, date));
  }
  return out;
}

/**
 * After a full sync: stores reconstructed figures for every past day of the months the sync loaded (from the
 * month of the oldest lead up to yesterday) that has no snapshot yet, so History answers from the table.
 * Days already stored, frozen or reconstructed, are never touched; a repeated full sync adds only new days.
 */
export async function backfillLoadedHistory(db: Db, config: Config): Promise<{ from: string; to: string; days: number } | null> {
  const ctx = await loadKpiContext(db, config);
  const oldest = await db.oneOrNone<{ created_at: Date | null }>(
    'SELECT min(created_at) AS created_at FROM amo.leads WHERE deleted_at IS NULL',
  );
  if (!oldest?.created_at) return null;
  const from = DateTime.fromJSDate(oldest.created_at, { zone: ctx.zone }).startOf('month').toISODate()!;
  const to = DateTime.fromISO(ctx.today, { zone: ctx.zone }).minus({ days: 1 }).toISODate()!;
  if (to < from) return null;
  const done = await backfillSnapshots(db, config, from, to);
  if (done.length) log().info({ from, to, days: done.length }, 'history back-filled (reconstructed days)');
  return { from, to, days: done.length };
}
