import type { Db, Tx } from '../db';
import { KpiInputError, parseMonth } from './time';

export interface PlanRow {
  month: string;
  managerId: number;
  managerName: string | null;
  amount: number;
  /** Only on a pipeline's plan: an overall plan answers exactly the fields it had before pipeline plans. */
  pipelineId?: number;
}

export interface PlanEdit {
  /** YYYY-MM */
  month: string;
  managerId: number;
  amount: number;
  /** Absent or null: the manager's overall plan. */
  pipelineId?: number | null;
}

/**
 * The stored pipeline_id of the overall plan: a key column cannot be NULL and amoCRM pipeline ids are
 * positive (0011_pipeline_plans.sql).
 */
const OVERALL = 0;
/** The app.plans.pipeline_id that holds the plan for a pipeline filter (none: the overall plan). */
export const planPipelineKey = (pipelineId: number | null | undefined): number => pipelineId ?? OVERALL;

function positiveId(value: unknown, name: string): number {
  const id = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new KpiInputError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return id;
}

/**
 * Checks one plan edit (month format, positive integer manager id, non-negative integer amount, and a
 * positive integer pipeline id when one is given: undefined or null means the overall plan).
 */
export function validatePlan(month: string, managerId: unknown, amount: unknown, pipelineId?: unknown): PlanEdit {
  parseMonth(month);
  const id = positiveId(managerId, 'managerId');
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) {
    throw new KpiInputError(`amount must be a non-negative integer, got ${JSON.stringify(amount)}`);
  }
  const edit: PlanEdit = { month, managerId: id, amount };
  if (pipelineId !== undefined && pipelineId !== null) edit.pipelineId = positiveId(pipelineId, 'pipelineId');
  return edit;
}

async function assertKnownManager(t: Db | Tx, managerId: number): Promise<void> {
  const known = await t.oneOrNone('SELECT 1 FROM amo.users WHERE id = $1', [managerId]);
  if (!known) throw new KpiInputError(`managerId ${managerId} is not a user of the amoCRM account`);
}

/**
 * A pipeline is known when the amoCRM copy has it (archived ones too: their past months carry plans) or when
 * it already has plans: the sync drops a pipeline deleted in amoCRM, and its plans must stay readable,
 * deletable and re-importable from an export.
 */
async function assertKnownPipeline(t: Db | Tx, pipelineId: number | null | undefined): Promise<void> {
  if (pipelineId === null || pipelineId === undefined) return;
  positiveId(pipelineId, 'pipelineId');
  const known = await t.oneOrNone(
    'SELECT 1 WHERE EXISTS (SELECT 1 FROM amo.pipelines WHERE id = $1) OR EXISTS (SELECT 1 FROM app.plans WHERE pipeline_id = $1)',
    [pipelineId],
  );
  if (!known) throw new KpiInputError(`pipelineId ${pipelineId} is not a pipeline of the amoCRM account`);
}

function planRow(month: string, managerId: number, managerName: string | null, amount: number, pipelineId: number | null | undefined): PlanRow {
  const row: PlanRow = { month, managerId, managerName, amount };
  if (pipelineId !== null && pipelineId !== undefined && pipelineId !== OVERALL) row.pipelineId = pipelineId;
  return row;
}

/** A month's plans: the overall ones, or with `pipelineId` that pipeline's (400 for an unknown pipeline). */
export async function listPlans(db: Db, month: string, pipelineId: number | null = null): Promise<PlanRow[]> {
  const first = parseMonth(month);
  await assertKnownPipeline(db, pipelineId);
  return db.map(
    `SELECT to_char(p.month, 'YYYY-MM') AS month, p.manager_id, u.name, p.amount, p.pipeline_id
       FROM app.plans p LEFT JOIN amo.users u ON u.id = p.manager_id
      WHERE p.month = $1::date AND p.pipeline_id = $2 ORDER BY u.name NULLS LAST, p.manager_id`,
    [first, planPipelineKey(pipelineId)],
    (r) => planRow(r.month, r.manager_id, r.name, r.amount, r.pipeline_id),
  );
}

export interface ExportedPlan extends PlanRow {
  /** Set on pipeline plans only, for people reading the CSV. */
  pipelineName?: string | null;
}

/** All plans, overall and per pipeline, for export; `month` restricts to one month. */
export async function allPlans(db: Db, month?: string): Promise<ExportedPlan[]> {
  const first = month ? parseMonth(month) : null;
  return db.map(
    `SELECT to_char(p.month, 'YYYY-MM') AS month, p.manager_id, u.name, p.amount, p.pipeline_id, pl.name AS pipeline_name
       FROM app.plans p LEFT JOIN amo.users u ON u.id = p.manager_id LEFT JOIN amo.pipelines pl ON pl.id = p.pipeline_id
      WHERE $1::date IS NULL OR p.month = $1::date ORDER BY p.month, p.manager_id, p.pipeline_id`,
    [first],
    (r) => {
      const row: ExportedPlan = planRow(r.month, r.manager_id, r.name, r.amount, r.pipeline_id);
      if (row.pipelineId !== undefined) row.pipelineName = r.pipeline_name;
      return row;
    },
  );
}

/** Upserts a plan (overall, or a pipeline's) and records who changed it from what to what. */
export async function setPlan(t: Db | Tx, edit: PlanEdit, by: string): Promise<PlanRow> {
  const e = validatePlan(edit.month, edit.managerId, edit.amount, edit.pipelineId);
  const run = async (tx: Tx) => {
    await assertKnownManager(tx, e.managerId);
    await assertKnownPipeline(tx, e.pipelineId);
    const first = parseMonth(e.month);
    const pipeline = planPipelineKey(e.pipelineId);
    const old = await tx.oneOrNone<{ amount: number }>(
      'SELECT amount FROM app.plans WHERE month = $1 AND manager_id = $2 AND pipeline_id = $3 FOR UPDATE',
      [first, e.managerId, pipeline],
    );
    await tx.none(
      `INSERT INTO app.plans (month, manager_id, pipeline_id, amount, updated_at, updated_by) VALUES ($1, $2, $3, $4, now(), $5)
       ON CONFLICT (month, manager_id, pipeline_id) DO UPDATE SET amount = EXCLUDED.amount, updated_at = now(), updated_by = EXCLUDED.updated_by`,
      [first, e.managerId, pipeline, e.amount, by],
    );
    if (old?.amount !== e.amount) {
      await tx.none(
        'INSERT INTO app.plan_audit (month, manager_id, pipeline_id, old_amount, new_amount, changed_by) VALUES ($1, $2, $3, $4, $5, $6)',
        [first, e.managerId, pipeline, old?.amount ?? null, e.amount, by],
      );
    }
    const name = await tx.oneOrNone<{ name: string }>('SELECT name FROM amo.users WHERE id = $1', [e.managerId]);
    return planRow(e.month, e.managerId, name?.name ?? null, e.amount, e.pipelineId);
  };
  // Inside a caller's transaction this is a savepoint, so a failed import rolls back as a whole.
  return (t as Db).tx(run);
}

/**
 * Deletes a plan, overall or (with `pipelineId`) a pipeline's; a no-op when there is none. Unknown managers
 * and pipelines are rejected like in setPlan.
 */
export async function deletePlan(db: Db, month: string, managerId: number, by: string, pipelineId: number | null = null): Promise<void> {
  const first = parseMonth(month);
  positiveId(managerId, 'managerId');
  await db.tx(async (tx) => {
    await assertKnownManager(tx, managerId);
    await assertKnownPipeline(tx, pipelineId);
    const pipeline = planPipelineKey(pipelineId);
    const old = await tx.oneOrNone<{ amount: number }>(
      'DELETE FROM app.plans WHERE month = $1 AND manager_id = $2 AND pipeline_id = $3 RETURNING amount',
      [first, managerId, pipeline],
    );
    if (old) {
      await tx.none(
        'INSERT INTO app.plan_audit (month, manager_id, pipeline_id, old_amount, new_amount, changed_by) VALUES ($1, $2, $3, $4, NULL, $5)',
        [first, managerId, pipeline, old.amount, by],
      );
    }
  });
}
