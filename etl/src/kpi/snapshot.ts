import { DateTime } from 'luxon';
import type { Config } from '../config';
import type { Db } from '../db';
import { log } from '../log';
import { loadKpiContext, type KpiContext } from './context';
import { liveFiguresSql } from './figures';
import { datesFrom, dayFrame, formatInstant, KpiInputError, parseDate, startOfDay } from './time';

export interface SnapshotResult {
  date: string;
  source: 'snapshot' | 'reconstructed';
  asOf: string;
  /** Pipeline keys frozen (0 = all pipelines). */
  pipelines: number;
  managerRows: number;
  /** True when the day was already stored complete (frozen, or reconstructed for a back-fill) and was left alone. */
  kept: boolean;
}

/** How a day is stored: frozen with its task figures (end-of-day job, `amokpi snapshot`) or reconstructed (back-fill, catch-up). */
export type SnapshotMode = 'freeze' | 'reconstruct';

/**
 * The advisory key a stored reconstructed day and a lead deletion serialize on (migration 0013): a day being
 * computed holds the shared side from before it reads the leads until it commits; the trigger that drops
 * reconstructed days when a lead is deleted or restored takes the exclusive side.
 */
const HISTORY_LOCK = "hashtext('amokpi.history'), 0";

/**
 * Freezes day D's raw per-manager figures (wins, in progress and, for today or the day just closed, tasks)
 * for all pipelines and for each pipeline: the end-of-day job and `amokpi snapshot`. A complete frozen day
 * (as of the end of the day) is never rewritten, so later edits in amoCRM cannot change it; a day frozen
 * before it ended, or reconstructed, is replaced. Days older than yesterday can only be reconstructed from the
 * status history (tasks null).
 */
export async function snapshotDay(db: Db, config: Config, date?: string): Promise<SnapshotResult> {
  const ctx = await loadKpiContext(db, config);
  return snapshotWithContext(db, ctx, date ?? ctx.today, 'freeze');
}

/** The day after D, YYYY-MM-DD. */
function nextDay(date: string): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days: 1 }).toISODate()!;
}

/** The day before D, YYYY-MM-DD (yesterday, of today). */
function dayBefore(date: string): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).minus({ days: 1 }).toISODate()!;
}

/**
 * Stores day D. 'freeze' stores today and yesterday as "snapshot" with task figures as they stand now (overdue
 * = due before the day's as-of instant: now for today, the end of the day for yesterday), older days as
 * reconstructed. 'reconstruct' stores a past day as "reconstructed" (tasks null) and leaves a day that is
 * already stored complete alone: the back-fill and the worker's catch-up. Only a complete "snapshot" row (as of
 * the end of its day) is frozen; a day frozen before it ended is incomplete and replaced by either mode.
 */
async function snapshotWithContext(db: Db, ctx: KpiContext, date: string, mode: SnapshotMode): Promise<SnapshotResult> {
  parseDate(date);
  if (date > ctx.today) throw new KpiInputError(`date ${date} is after today (${ctx.today} in ${ctx.zone})`);
  if (mode === 'reconstruct' && date === ctx.today) throw new KpiInputError(`today (${date}) is live: only past days are reconstructed`);
  const frame = dayFrame(date, ctx.zone, ctx.now);
  const yesterday = dayBefore(ctx.today);
  const source = mode === 'freeze' && date >= yesterday ? 'snapshot' : 'reconstructed';
  const endOfDay = startOfDay(nextDay(date), ctx.zone);
  const pipelineIds: number[] = [0, ...(await db.map('SELECT id FROM amo.pipelines ORDER BY id', [], (r) => r.id as number))];

  return db.tx(async (tx) => {
    // One writer per day; concurrent callers queue instead of interleaving.
    await tx.any("SELECT pg_advisory_xact_lock(hashtext('amokpi.snapshot'), $1)", [Number(date.replace(/-/g, '')) % 2147483647]);
    // Before reading any lead: a deletion committed from here on waits for this day and then drops it.
    await tx.any(`SELECT pg_advisory_xact_lock_shared(${HISTORY_LOCK})`);
    const existing = await tx.oneOrNone<{ source: string; as_of: Date }>(
      'SELECT source, as_of FROM kpi.snapshot_days WHERE day = $1 AND pipeline_id = 0',
      [date],
    );
    const complete = existing !== null && existing.as_of.getTime() >= endOfDay.toMillis();
    if (complete && (existing.source === 'snapshot' || mode === 'reconstruct')) {
      return { date, source: existing.source as SnapshotResult['source'], asOf: formatInstant(DateTime.fromJSDate(existing.as_of), ctx.zone), pipelines: 0, managerRows: 0, kept: true };
    }
    await tx.none('DELETE FROM kpi.snapshot_days WHERE day = $1', [date]);
    // Overdue is judged at the day's as-of instant: a task due this morning was not overdue when yesterday closed.
    const tasksAt = frame.asOf.toISO()!;
    let managerRows = 0;
    for (const pid of pipelineIds) {
      const pipelineId = pid === 0 ? null : pid;
      await tx.none(
        'INSERT INTO kpi.snapshot_days (day, pipeline_id, source, as_of, taken_at) VALUES ($1, $2, $3, $4, $5)',
        [date, pid, source, frame.asOf.toISO(), ctx.now.toISO()],
      );
      const sql = liveFiguresSql(frame, { pipelineId, withTasks: source === 'snapshot', withInProgress: true, now: tasksAt });
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

export interface BackfillOptions {
  /** Checked between days: an aborted back-fill stops after the day it is storing (the worker's stop()). */
  signal?: AbortSignal;
  /** After each day stored: how many of the days to store are done (about 2 s a day at 1M leads: show it). */
  onDay?: (done: number, total: number, day: SnapshotResult) => void;
}

/**
 * Stores every past day of [from, to] (to at most yesterday: today is live) that is not stored complete:
 * missing days, and days frozen before they ended (an on-demand snapshot of a day the end-of-day job then
 * missed), as reconstructed (tasks null). Complete days, frozen or reconstructed, are left alone. Returns the
 * days it stored.
 */
export async function backfillSnapshots(db: Db, config: Config, from: string, to: string, opts: BackfillOptions = {}): Promise<SnapshotResult[]> {
  const ctx = await loadKpiContext(db, config);
  parseDate(from, 'from');
  parseDate(to, 'to');
  const yesterday = dayBefore(ctx.today);
  const last = to > yesterday ? yesterday : to;
  if (last < from) return [];
  const have = new Set(
    await db.map(
      `SELECT to_char(day, 'YYYY-MM-DD') AS d FROM kpi.snapshot_days
        WHERE pipeline_id = 0 AND day BETWEEN $1 AND $2 AND as_of >= (day + 1)::timestamp AT TIME ZONE $3`,
      [from, last, ctx.zone],
      (r) => r.d as string,
    ),
  );
  const todo = datesFrom(from, last).filter((date) => !have.has(date));
  const out: SnapshotResult[] = [];
  for (const [i, date] of todo.entries()) {
    if (opts.signal?.aborted) break;
    const r = await snapshotWithContext(db, ctx, date, 'reconstruct');
    if (!r.kept) out.push(r);
    opts.onDay?.(i + 1, todo.length, r);
  }
  return out;
}

/**
 * Stores reconstructed figures for every past day from the month of the oldest lead up to yesterday that is
 * not stored complete, so History answers from the table: after a full sync, and as the worker's catch-up
 * (start-up, end of day, after syncs) for days it missed while down, days frozen before they ended, and days a
 * lead deletion dropped (migration 0013). Complete days, frozen or reconstructed, are never touched; with
 * nothing to store it costs a few queries (80 ms at 1M leads, most of it the oldest lead).
 */
export async function backfillLoadedHistory(db: Db, config: Config, opts: BackfillOptions = {}): Promise<{ from: string; to: string; days: number } | null> {
  const ctx = await loadKpiContext(db, config);
  const oldest = await db.oneOrNone<{ created_at: Date | null }>(
    'SELECT min(created_at) AS created_at FROM amo.leads WHERE deleted_at IS NULL',
  );
  if (!oldest?.created_at) return null;
  const from = DateTime.fromJSDate(oldest.created_at, { zone: ctx.zone }).startOf('month').toISODate()!;
  const to = dayBefore(ctx.today);
  if (to < from) return null;
  const done = await backfillSnapshots(db, config, from, to, opts);
  if (done.length) log().info({ from, to, days: done.length }, 'history back-filled (reconstructed days)');
  return { from, to, days: done.length };
}
