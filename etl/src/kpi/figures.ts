import type { Db } from '../db';
import { pgp } from '../db';
import type { KpiContext } from './context';
import { dayFrame, type DayFrame } from './time';

export type FigureSource = 'live' | 'snapshot' | 'reconstructed';

/**
 * Where the raw per-manager figures of a day come from: computed now (today), the frozen snapshot, or
 * reconstructed from the status history (tasks null). `sql` selects
 * (manager_id, won_amount, won_count, in_progress_amount, in_progress_count, open_tasks, overdue_tasks,
 * leads_without_tasks) with manager_id 0 for unassigned leads.
 */
export interface FigureSet {
  frame: DayFrame;
  source: FigureSource;
  sql: string;
}

/** The live computation; also what a snapshot freezes. */
export function liveFiguresSql(frame: DayFrame, opts: { pipelineId: number | null; withTasks: boolean; withInProgress: boolean; now: string }): string {
  const params = {
    from: frame.periodStart.toISO(),
    to: frame.asOf.toISO(),
    pipeline: opts.pipelineId,
    ip: opts.withInProgress,
    now: opts.now,
  };
  if (!opts.withTasks) {
    return pgp.as.format(
      `SELECT coalesce(f.manager_id, 0) AS manager_id, f.won_amount, f.won_count, f.in_progress_amount, f.in_progress_count,
              NULL::int AS open_tasks, NULL::int AS overdue_tasks, NULL::int AS leads_without_tasks
         FROM kpi.lead_figures($(from)::timestamptz, $(to)::timestamptz, $(pipeline)::bigint, $(ip)) f`,
      params,
    );
  }
  return pgp.as.format(
    `SELECT coalesce(f.manager_id, t.manager_id, 0) AS manager_id,
            coalesce(f.won_amount, 0)::bigint AS won_amount, coalesce(f.won_count, 0)::int AS won_count,
            coalesce(f.in_progress_amount, 0)::bigint AS in_progress_amount, coalesce(f.in_progress_count, 0)::int AS in_progress_count,
            coalesce(t.open_tasks, 0) AS open_tasks, coalesce(t.overdue_tasks, 0) AS overdue_tasks,
            coalesce(t.leads_without_tasks, 0) AS leads_without_tasks
       FROM kpi.lead_figures($(from)::timestamptz, $(to)::timestamptz, $(pipeline)::bigint, $(ip)) f
       FULL JOIN kpi.manager_tasks_at($(now)::timestamptz, $(pipeline)::bigint) t ON t.manager_id = f.manager_id`,
    params,
  );
}

/**
 * Picks the source of a day's figures: today is live; a past day its stored row when that row is complete (as
 * of the end of the day: frozen after the day ended, or reconstructed), else reconstructed from the history
 * now. A row frozen before its day ended (an on-demand snapshot of "today" the end-of-day job then missed) is
 * not that day's figures, so it is not served as the finished day.
 */
export async function figuresFor(
  db: Db,
  ctx: KpiContext,
  date: string,
  pipelineId: number | null,
  opts: { withInProgress: boolean; endOfDay?: boolean; withTasks?: boolean },
): Promise<FigureSet> {
  const frame = dayFrame(date, ctx.zone, ctx.now, { endOfDay: opts.endOfDay });
  const now = ctx.now.toISO()!;
  if (frame.isToday && !opts.endOfDay) {
    return { frame, source: 'live', sql: liveFiguresSql(frame, { pipelineId, withTasks: opts.withTasks ?? true, withInProgress: opts.withInProgress, now }) };
  }
  const snap = await db.oneOrNone<{ source: 'snapshot' | 'reconstructed' }>(
    'SELECT source FROM kpi.snapshot_days WHERE day = $1 AND pipeline_id = $2 AND as_of >= $3',
    [date, pipelineId ?? 0, frame.asOf.toISO()],
  );
  if (snap) {
    const sql = pgp.as.format(
      `SELECT manager_id, won_amount, won_count, in_progress_amount, in_progress_count, open_tasks, overdue_tasks, leads_without_tasks
         FROM kpi.snapshot_managers WHERE day = $1 AND pipeline_id = $2`,
      [date, pipelineId ?? 0],
    );
    return { frame, source: snap.source, sql };
  }
  return { frame, source: 'reconstructed', sql: liveFiguresSql(frame, { pipelineId, withTasks: false, withInProgress: opts.withInProgress, now }) };
}
