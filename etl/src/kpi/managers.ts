import type { Db } from '../db';
import { bandFor, type Band } from './bands';
import type { KpiContext } from './context';
import { figuresFor, type FigureSource } from './figures';
import { planPipelineKey } from './plans';
import { formatInstant } from './time';

export interface ManagerRow {
  managerId: number;
  managerName: string | null;
  planAmount: number | null;
  wonAmount: number;
  wonCount: number;
  completionPct: number | null;
  band: Band | null;
  planRemainder: number | null;
  openTasks: number | null;
  overdueTasks: number | null;
  leadsWithoutTasks: number | null;
}

export interface ManagersBoard {
  date: string;
  periodStart: string;
  asOf: string;
  timezone: string;
  currency: string | null;
  bands: { red: number; green: number };
  source: FigureSource;
  rows: ManagerRow[];
}

/**
 * Per-manager board for D. Rows: a plan for D's month, a win in the period, or (D today) an open task or a
 * lead without tasks; AMOKPI_MANAGERS restricts them. The plan figures come from the overall plan, or with a
 * pipeline filter from that pipeline's plan (null without one); a manager with an overall plan stays a row of a
 * pipeline's board, as before pipeline plans. A zero plan counts as met (100 %).
 */
export async function managersBoard(db: Db, ctx: KpiContext, date: string, pipelineId: number | null): Promise<ManagersBoard> {
  const set = await figuresFor(db, ctx, date, pipelineId, { withInProgress: false });
  const rows = await db.any(
    `WITH f AS (${set.sql}),
     p AS (SELECT manager_id, max(amount) FILTER (WHERE pipeline_id = $(planPipeline)) AS amount
             FROM app.plans WHERE month = $(month)::date AND pipeline_id IN (0, $(planPipeline)) GROUP BY manager_id),
     r AS (
       SELECT coalesce(f.manager_id, p.manager_id) AS manager_id, p.amount AS plan_amount,
              coalesce(f.won_amount, 0)::bigint AS won_amount, coalesce(f.won_count, 0)::int AS won_count,
              f.open_tasks, f.overdue_tasks, f.leads_without_tasks
         FROM f FULL JOIN p ON p.manager_id = f.manager_id
        WHERE p.manager_id IS NOT NULL OR f.won_count > 0
           OR ($(today) AND (f.open_tasks > 0 OR f.leads_without_tasks > 0))
     )
     SELECT r.manager_id, u.name AS manager_name, r.plan_amount, r.won_amount, r.won_count,
            CASE WHEN r.plan_amount > 0 THEN round(r.won_amount::numeric * 100 / r.plan_amount, 1)
                 WHEN r.plan_amount = 0 THEN 100.0 END AS completion_pct,
            CASE WHEN r.plan_amount IS NOT NULL THEN greatest(r.plan_amount - r.won_amount, 0) END AS plan_remainder,
            CASE WHEN $(tasksKnown) THEN coalesce(r.open_tasks, 0) END AS open_tasks,
            CASE WHEN $(tasksKnown) THEN coalesce(r.overdue_tasks, 0) END AS overdue_tasks,
            CASE WHEN $(tasksKnown) THEN coalesce(r.leads_without_tasks, 0) END AS leads_without_tasks
       FROM r LEFT JOIN amo.users u ON u.id = r.manager_id
      WHERE r.manager_id <> 0 AND ($(managers)::bigint[] IS NULL OR r.manager_id = ANY($(managers)::bigint[]))
      ORDER BY u.name NULLS LAST, r.manager_id`,
    {
      month: set.frame.month,
      planPipeline: planPipelineKey(pipelineId),
      today: set.frame.isToday,
      tasksKnown: set.source !== 'reconstructed',
      managers: ctx.managers,
    },
  );
  return {
    date,
    periodStart: formatInstant(set.frame.periodStart, ctx.zone),
    asOf: formatInstant(set.frame.asOf, ctx.zone),
    timezone: ctx.zone,
    currency: ctx.currency,
    bands: ctx.bands,
    source: set.source,
    rows: rows.map((r) => ({
      managerId: r.manager_id,
      managerName: r.manager_name,
      planAmount: r.plan_amount,
      wonAmount: r.won_amount,
      wonCount: r.won_count,
      completionPct: r.completion_pct,
      band: bandFor(r.won_amount, r.plan_amount, ctx.bands),
      planRemainder: r.plan_remainder,
      openTasks: r.open_tasks,
      overdueTasks: r.overdue_tasks,
      leadsWithoutTasks: r.leads_without_tasks,
    })),
  };
}

