import type { Db } from '../db';
import type { KpiContext } from './context';
import { figuresFor, type FigureSource } from './figures';
import { planPipelineKey } from './plans';
import { formatInstant, previousPeriodDate } from './time';

export interface DepartmentFigures {
  date: string;
  asOf: string;
  source: FigureSource;
  wonAmount: number;
  wonCount: number;
  avgWonAmount: number | null;
  inProgressAmount: number;
  inProgressCount: number;
  planAmount: number | null;
  planRemainder: number | null;
}

const COMPARED = ['wonAmount', 'wonCount', 'avgWonAmount', 'inProgressAmount', 'inProgressCount', 'planAmount', 'planRemainder'] as const;
type Compared = (typeof COMPARED)[number];

export interface Department {
  current: DepartmentFigures;
  previous: DepartmentFigures;
  change: Record<Compared, { abs: number | null; pct: number | null }>;
}

/**
 * Department figures of one day; AMOKPI_MANAGERS restricts them to those managers' leads and plans. The plan
 * is the sum of the overall plans, or with a pipeline filter of that pipeline's plans (null when none).
 */
export async function departmentDay(db: Db, ctx: KpiContext, date: string, pipelineId: number | null, endOfDay: boolean): Promise<DepartmentFigures> {
  // The department has no task figures: the live set skips them (they are the costliest part of a manager row).
  const set = await figuresFor(db, ctx, date, pipelineId, { withInProgress: true, endOfDay, withTasks: false });
  const r = await db.one(
    `WITH f AS (${set.sql}),
     m AS (SELECT * FROM f WHERE $(managers)::bigint[] IS NULL OR f.manager_id = ANY($(managers)::bigint[])),
     p AS (SELECT sum(amount)::bigint AS plan_amount FROM app.plans
            WHERE month = $(month)::date AND pipeline_id = $(planPipeline)
              AND ($(managers)::bigint[] IS NULL OR manager_id = ANY($(managers)::bigint[])))
     SELECT coalesce(sum(m.won_amount), 0)::bigint AS won_amount, coalesce(sum(m.won_count), 0)::int AS won_count,
            round(sum(m.won_amount)::numeric / nullif(sum(m.won_count), 0))::bigint AS avg_won_amount,
            coalesce(sum(m.in_progress_amount), 0)::bigint AS in_progress_amount,
            coalesce(sum(m.in_progress_count), 0)::int AS in_progress_count,
            (SELECT plan_amount FROM p) AS plan_amount
       FROM m`,
    { managers: ctx.managers, month: set.frame.month, planPipeline: planPipelineKey(pipelineId) },
  );
  return {
    date,
    asOf: formatInstant(set.frame.asOf, ctx.zone),
    source: set.source,
    wonAmount: r.won_amount,
    wonCount: r.won_count,
    avgWonAmount: r.avg_won_amount,
    inProgressAmount: r.in_progress_amount,
    inProgressCount: r.in_progress_count,
    planAmount: r.plan_amount,
    planRemainder: r.plan_amount === null ? null : Math.max(r.plan_amount - r.won_amount, 0),
  };
}

/** Rounds half away from zero to one decimal, immune to binary noise such as 12.249999999. */
export function roundTo1(x: number): number {
  const tenths = Number((Math.abs(x) * 10).toPrecision(12));
  return (Math.sign(x) * Math.round(tenths)) / 10;
}

/** Percent change rounded to one decimal; null when the previous value is 0 or null. */
export function change(current: number | null, previous: number | null): { abs: number | null; pct: number | null } {
  if (current === null || previous === null) return { abs: null, pct: null };
  const abs = current - previous;
  return { abs, pct: previous === 0 ? null : roundTo1((abs * 100) / Math.abs(previous)) };
}

/** D against D′ (D minus a month, clamped); D′ is always as it stood at the end of that day. */
export async function department(db: Db, ctx: KpiContext, date: string, pipelineId: number | null): Promise<Department> {
  // Independent queries: on two pool connections at once, the answer waits for the slower one only.
  const [current, previous] = await Promise.all([
    departmentDay(db, ctx, date, pipelineId, false),
    departmentDay(db, ctx, previousPeriodDate(date), pipelineId, true),
  ]);
  const ch = {} as Department['change'];
  for (const k of COMPARED) ch[k] = change(current[k], previous[k]);
  return { current, previous, change: ch };
}
