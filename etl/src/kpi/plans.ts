import type { Db, Tx } from '../db';
import { KpiInputError, parseMonth } from './time';

export interface PlanRow {
  month: string;
  managerId: number;
  managerName: string | null;
  amount: number;
}

export interface PlanEdit {
  /** YYYY-MM */
  month: string;
  managerId: number;
  amount: number;
}

/** Checks one plan edit (month format, positive integer manager id, non-negative integer amount). */
export function validatePlan(month: string, managerId: unknown, amount: unknown): PlanEdit {
  parseMonth(month);
  const id = typeof managerId === 'string' && /^\d+$/.test(managerId.trim()) ? Number(managerId) : managerId;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new KpiInputError(`managerId must be a positive integer, got ${JSON.stringify(managerId)}`);
  }
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) {
    throw new KpiInputError(`amount must be a non-negative integer, got ${JSON.stringify(amount)}`);
  }
  return { month, managerId: id, amount };
}

async function assertKnownManager(t: Db | Tx, managerId: number): Promise<void> {
  const known = await t.oneOrNone('SELECT 1 FROM amo.users WHERE id = $1', [managerId]);
  if (!known) throw new KpiInputError(`managerId ${managerId} is not a user of the amoCRM account`);
}

export async function listPlans(db: Db, month: string): Promise<PlanRow[]> {
  const first = parseMonth(month);
  return db.map(
    `SELECT to_char(p.month, 'YYYY-MM') AS month, p.manager_id, u.name, p.amount
       FROM app.plans p LEFT JOIN amo.users u ON u.id = p.manager_id
      WHERE p.month = $1::date ORDER BY u.name NULLS LAST, p.manager_id`,
    [first],
    (r) => ({ month: r.month, managerId: r.manager_id, managerName: r.name, amount: r.amount }),
  );
}

/** All plans, for export; `month` restricts to one month. */
export async function allPlans(db: Db, month?: string): Promise<PlanRow[]> {
  const first = month ? parseMonth(month) : null;
  return db.map(
    `SELECT to_char(p.month, 'YYYY-MM') AS month, p.manager_id, u.name, p.amount
       FROM app.plans p LEFT JOIN amo.users u ON u.id = p.manager_id
      WHERE $1::date IS NULL OR p.month = $1::date ORDER BY p.month, p.manager_id`,
    [first],
    (r) => ({ month: r.month, managerId: r.manager_id, managerName: r.name, amount: r.amount }),
  );
}

/** Upserts a plan and records who changed it from what to what. */
export async function setPlan(t: Db | Tx, edit: PlanEdit, by: string): Promise<PlanRow> {
  const e = validatePlan(edit.month, edit.managerId, edit.amount);
  const run = async (tx: Tx) => {
    await assertKnownManager(tx, e.managerId);
    const first = parseMonth(e.month);
    const old = await tx.oneOrNone<{ amount: number }>(
      'SELECT amount FROM app.plans WHERE month = $1 AND manager_id = $2 FOR UPDATE',
      [first, e.managerId],
    );
    await tx.none(
      `INSERT INTO app.plans (month, manager_id, amount, updated_at, updated_by) VALUES ($1, $2, $3, now(), $4)
       ON CONFLICT (month, manager_id) DO UPDATE SET amount = EXCLUDED.amount, updated_at = now(), updated_by = EXCLUDED.updated_by`,
      [first, e.managerId, e.amount, by],
    );
    if (old?.amount !== e.amount) {
      await tx.none(
        'INSERT INTO app.plan_audit (month, manager_id, old_amount, new_amount, changed_by) VALUES ($1, $2, $3, $4, $5)',
        [first, e.managerId, old?.amount ?? null, e.amount, by],
      );
    }
    const name = await tx.oneOrNone<{ name: string }>('SELECT name FROM amo.users WHERE id = $1', [e.managerId]);
    return { month: e.month, managerId: e.managerId, managerName: name?.name ?? null, amount: e.amount };
  };
  // Inside a caller's transaction this is a savepoint, so a failed import rolls back as a whole.
  return (t as Db).tx(run);
}

/** Deletes a plan (a no-op when there is none); unknown managers are rejected like in setPlan. */
export async function deletePlan(db: Db, month: string, managerId: number, by: string): Promise<void> {
  const first = parseMonth(month);
  if (!Number.isSafeInteger(managerId) || managerId <= 0) throw new KpiInputError('managerId must be a positive integer');
  await db.tx(async (tx) => {
    await assertKnownManager(tx, managerId);
    const old = await tx.oneOrNone<{ amount: number }>(
      'DELETE FROM app.plans WHERE month = $1 AND manager_id = $2 RETURNING amount',
      [first, managerId],
    );
    if (old) {
      await tx.none(
        'INSERT INTO app.plan_audit (month, manager_id, old_amount, new_amount, changed_by) VALUES ($1, $2, $3, NULL, $4)',
        [first, managerId, old.amount, by],
      );
    }
  });
}
