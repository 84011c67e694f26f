import type { Db, Tx } from '../db';
import { ID_RULE, idFromText, integerFromText } from './integers';
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

/** An id typed as text (the command line, a CSV cell), by the rule of every entry point (kpi/integers); a refusal quotes the text. */
export function parseIdText(text: string, name: string): number {
  const id = idFromText(text);
  if (id === undefined) throw new KpiInputError(`${name} must be ${ID_RULE}, got ${JSON.stringify(text)}`);
  return id;
}

/** An id as text (parseIdText) or as a number (the API's, already parsed): a positive safe integer. */
function positiveId(value: unknown, name: string): number {
  if (typeof value === 'string') return parseIdText(value, name);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new KpiInputError(`${name} must be a positive integer, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

/**
 * The largest plan amount: 10^12, a trillion in the account currency (far above any one manager's monthly plan).
 * Not 2^53 - 1: the boards answer sums of plans (a department's month, a manager's plans over pipelines), and a
 * sum of up to 9 000 plans of at most 10^12 stays below 2^53, so it is still an exact JSON integer; 13 plans of
 * 2^53 - 1 already summed to an inexact 117093590311632880.
 */
export const MAX_AMOUNT = 1_000_000_000_000;

/**
 * Why a JSON amount is refused (`must …, got …`), or undefined for an integer from 0 to MAX_AMOUNT. Beyond 2^53
 * a parsed JSON number is not the number sent (9007199254740993 parses as …992, 1e400 as Infinity), so such a
 * refusal does not quote it.
 */
export function amountProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || Number.isNaN(value)) return `must be a non-negative integer (a JSON number), got ${JSON.stringify(value) ?? String(value)}`;
  const exact = Math.abs(value) <= Number.MAX_SAFE_INTEGER;
  if (value < 0) return exact ? `must not be negative, got ${value}` : 'must not be negative (got a negative number too large to be exact)';
  // Before the whole-number check: 1e400 (Infinity) is too large, not a fraction.
  if (value > MAX_AMOUNT) return exact ? `must be at most ${MAX_AMOUNT}, got ${value}` : `must be at most ${MAX_AMOUNT} (the number sent is larger)`;
  if (!Number.isInteger(value)) return `must be a whole number (a non-negative integer), got ${value}`;
  return undefined;
}

/**
 * An amount typed as text (the command line, a CSV cell): digits only, at most MAX_AMOUNT. A refusal quotes
 * the text as typed, not the number it would have become (99999999999999999999 is not 1e20).
 */
export function parseAmountText(text: string): number {
  const amount = integerFromText(text.trim(), 0, MAX_AMOUNT);
  if (amount !== undefined) return amount;
  const most = integerFromText(text.trim(), 0, Number.POSITIVE_INFINITY) === undefined ? '' : ` of at most ${MAX_AMOUNT}`;
  throw new KpiInputError(`amount must be a non-negative integer${most}, got ${JSON.stringify(text)}`);
}

/**
 * Checks one plan edit (month format, positive integer manager id, non-negative integer amount, and a
 * positive integer pipeline id when one is given: undefined or null means the overall plan).
 */
export function validatePlan(month: string, managerId: unknown, amount: unknown, pipelineId?: unknown): PlanEdit {
  parseMonth(month);
  const id = positiveId(managerId, 'managerId');
  const problem = amountProblem(amount);
  if (problem) throw new KpiInputError(`amount ${problem}`);
  const edit: PlanEdit = { month, managerId: id, amount: amount as number };
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
export async function listPlans(db: Db | Tx, month: string, pipelineId: number | null = null): Promise<PlanRow[]> {
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

/**
 * Serialises every transaction that writes plans (single PUT and DELETE, batch save, CSV import, the CLI):
 * each takes this transaction-level advisory lock before it reads or locks a plan row. Without it a batch
 * locked its rows in body order, so two saves (or a save and an import) of the same managers in opposite
 * orders each held a row the other wanted and Postgres killed one ("deadlock detected", a 500). Plan edits are
 * rare admin operations, so waiting for the one before costs nothing; reads do not take the lock. Re-entrant:
 * a setPlan inside an import's transaction takes it again at no cost. Key: the two-int form like the
 * snapshot's locks ("amokpi.plans", 0), apart from the single-bigint keys.
 */
export async function lockPlanWrites(tx: Tx): Promise<void> {
  await tx.any("SELECT pg_advisory_xact_lock(hashtext('amokpi.plans'), 0)");
}

/** Upserts one plan inside a transaction, auditing a changed amount: the one write of setPlan and savePlans. */
async function writePlan(tx: Tx, first: string, managerId: number, pipeline: number, amount: number, by: string): Promise<void> {
  const old = await tx.oneOrNone<{ amount: number }>(
    'SELECT amount FROM app.plans WHERE month = $1 AND manager_id = $2 AND pipeline_id = $3 FOR UPDATE',
    [first, managerId, pipeline],
  );
  await tx.none(
    `INSERT INTO app.plans (month, manager_id, pipeline_id, amount, updated_at, updated_by) VALUES ($1, $2, $3, $4, now(), $5)
     ON CONFLICT (month, manager_id, pipeline_id) DO UPDATE SET amount = EXCLUDED.amount, updated_at = now(), updated_by = EXCLUDED.updated_by`,
    [first, managerId, pipeline, amount, by],
  );
  if (old?.amount !== amount) {
    await tx.none(
      'INSERT INTO app.plan_audit (month, manager_id, pipeline_id, old_amount, new_amount, changed_by) VALUES ($1, $2, $3, $4, $5, $6)',
      [first, managerId, pipeline, old?.amount ?? null, amount, by],
    );
  }
}

/** Deletes one plan inside a transaction, auditing it when there was one: the one delete of deletePlan and savePlans. */
async function removePlan(tx: Tx, first: string, managerId: number, pipeline: number, by: string): Promise<void> {
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
}

/** Upserts a plan (overall, or a pipeline's) and records who changed it from what to what. */
export async function setPlan(t: Db | Tx, edit: PlanEdit, by: string): Promise<PlanRow> {
  const e = validatePlan(edit.month, edit.managerId, edit.amount, edit.pipelineId);
  const run = async (tx: Tx) => {
    await lockPlanWrites(tx);
    await assertKnownManager(tx, e.managerId);
    await assertKnownPipeline(tx, e.pipelineId);
    await writePlan(tx, parseMonth(e.month), e.managerId, planPipelineKey(e.pipelineId), e.amount, by);
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
    await lockPlanWrites(tx);
    await assertKnownManager(tx, managerId);
    await assertKnownPipeline(tx, pipelineId);
    await removePlan(tx, first, managerId, planPipelineKey(pipelineId), by);
  });
}

/** One row of a batch save: an amount sets the plan, null deletes it. */
export interface PlanBatchRow {
  managerId: number;
  amount: number | null;
}

/** The most rows one batch takes: a department's managers, with room to spare. */
export const MAX_BATCH_ROWS = 2_000;
const BATCH_ROW_SHAPE = '{"managerId": <id>, "amount": <non-negative integer, or null to delete>}';
export const BATCH_BODY_SHAPE = `{"plans": [${BATCH_ROW_SHAPE}, …]}`;

/** A refused batch: the row (0-based index into `plans`) and its manager when they are known. */
export class PlanBatchError extends KpiInputError {
  constructor(
    message: string,
    readonly index?: number,
    readonly managerId?: number,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a batch body `{"plans": [{managerId, amount}, …]}` (JSON as parsed): every row is checked before
 * anything is written. The first bad row is refused with its index and, when readable, its manager id.
 */
export function readPlanBatch(body: unknown): PlanBatchRow[] {
  if (!isObject(body)) throw new PlanBatchError(`the body must be a JSON object ${BATCH_BODY_SHAPE}`);
  const extra = Object.keys(body).filter((k) => k !== 'plans');
  if (extra.length) throw new PlanBatchError(`unknown field(s) in the body: ${extra.join(', ')} (the body is ${BATCH_BODY_SHAPE})`);
  if (body.plans === undefined) throw new PlanBatchError(`plans is required: the body must be ${BATCH_BODY_SHAPE}`);
  if (!Array.isArray(body.plans)) throw new PlanBatchError(`plans: must be an array of ${BATCH_ROW_SHAPE}`);
  if (body.plans.length > MAX_BATCH_ROWS) throw new PlanBatchError(`plans: at most ${MAX_BATCH_ROWS} rows, got ${body.plans.length}`);
  const first = new Map<number, number>();
  return body.plans.map((row: unknown, i: number): PlanBatchRow => {
    const at = `plans[${i}]`;
    if (!isObject(row)) throw new PlanBatchError(`${at}: must be an object ${BATCH_ROW_SHAPE}`, i);
    const id = row.managerId;
    const managerId = typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
    // Beyond 2^53 the parsed number is not the id sent (…993 parses as …992): say so rather than quote it.
    const tooLarge = typeof id === 'number' && id > Number.MAX_SAFE_INTEGER;
    const who = managerId === undefined ? at : `${at} (manager ${managerId})`;
    const unknown = Object.keys(row).filter((k) => k !== 'managerId' && k !== 'amount');
    if (unknown.length) throw new PlanBatchError(`${who}: unknown field(s) ${unknown.join(', ')} (a row is ${BATCH_ROW_SHAPE})`, i, managerId);
    if (id === undefined) throw new PlanBatchError(`${at}: managerId is required (a row is ${BATCH_ROW_SHAPE})`, i);
    if (tooLarge) throw new PlanBatchError(`${at}: managerId must be at most ${Number.MAX_SAFE_INTEGER} (the number sent is larger)`, i);
    if (managerId === undefined) throw new PlanBatchError(`${at}: managerId must be a positive integer, got ${JSON.stringify(id)}`, i);
    if (first.has(managerId)) throw new PlanBatchError(`${who}: a second row for manager ${managerId} (the first is plans[${first.get(managerId)}])`, i, managerId);
    first.set(managerId, i);
    if (!('amount' in row)) throw new PlanBatchError(`${who}: amount is required (null deletes the plan)`, i, managerId);
    if (row.amount === null) return { managerId, amount: null };
    const problem = amountProblem(row.amount);
    if (problem) throw new PlanBatchError(`${who}: amount ${problem}`, i, managerId);
    return { managerId, amount: row.amount as number };
  });
}

export interface PlanBatchResult {
  month: string;
  /** Only for a pipeline's plans, like their rows. */
  pipelineId?: number;
  /** Rows that set a plan, and rows that deleted one (or found none to delete). */
  set: number;
  deleted: number;
  /** The month's plans after the save, as GET /api/v1/plans answers them. */
  plans: PlanRow[];
}

/**
 * Saves a month's plans (overall, or one pipeline's) all or nothing: every row is checked (known managers,
 * known pipeline) before the first write, then all are written in one transaction, each audited as setPlan
 * and deletePlan audit it. A refusal names the row and its manager.
 */
export async function savePlans(db: Db, month: string, pipelineId: number | null, rows: PlanBatchRow[], by: string): Promise<PlanBatchResult> {
  const first = parseMonth(month);
  return db.tx(async (tx) => {
    await lockPlanWrites(tx);
    await assertKnownPipeline(tx, pipelineId);
    const ids = rows.map((r) => r.managerId);
    const known = new Set(await tx.map<number>('SELECT id FROM amo.users WHERE id = ANY($1::bigint[])', [ids], (r) => Number(r.id)));
    rows.forEach((r, i) => {
      if (!known.has(r.managerId)) {
        throw new PlanBatchError(`plans[${i}] (manager ${r.managerId}): managerId ${r.managerId} is not a user of the amoCRM account`, i, r.managerId);
      }
    });
    const pipeline = planPipelineKey(pipelineId);
    for (const r of rows) {
      if (r.amount === null) await removePlan(tx, first, r.managerId, pipeline, by);
      else await writePlan(tx, first, r.managerId, pipeline, r.amount, by);
    }
    const result: PlanBatchResult = { month, set: rows.filter((r) => r.amount !== null).length, deleted: rows.filter((r) => r.amount === null).length, plans: [] };
    if (pipelineId !== null) result.pipelineId = pipelineId;
    result.plans = await listPlans(tx, month, pipelineId);
    return result;
  });
}
