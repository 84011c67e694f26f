import type { Db } from '../db';
import { allPlans, setPlan, validatePlan, type PlanEdit } from './plans';
import { KpiInputError } from './time';

/** Splits one CSV line (RFC 4180 quoting, commas). */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',' || c === ';') (out.push(cur), (cur = ''));
    else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",;\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const HEADER_ALIASES: Record<string, keyof PlanEdit> = {
  month: 'month',
  managerid: 'managerId',
  manager_id: 'managerId',
  amount: 'amount',
  pipeline_id: 'pipelineId',
  pipelineid: 'pipelineId',
};

/**
 * Parses a plans CSV (header with month, managerId, amount and optionally pipeline_id; other columns such as
 * managerName are ignored). Without a pipeline_id column, or with an empty cell, a row is the manager's
 * overall plan. Any bad line rejects the whole file with its line number.
 */
export function parsePlansCsv(text: string): { line: number; edit: PlanEdit }[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.toLowerCase());
  const idx: Partial<Record<keyof PlanEdit, number>> = {};
  header.forEach((h, i) => {
    const key = HEADER_ALIASES[h];
    if (key) idx[key] = i;
  });
  if (idx.month === undefined || idx.managerId === undefined || idx.amount === undefined) {
    throw new KpiInputError('line 1: the header must name the columns month, managerId and amount');
  }
  const seen = new Map<string, number>();
  const out: { line: number; edit: PlanEdit }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const cells = splitCsvLine(raw);
    const amountText = cells[idx.amount] ?? '';
    const amount = /^\d+$/.test(amountText) ? Number(amountText) : amountText === '' ? undefined : Number.NaN;
    try {
      if (amount === undefined) throw new KpiInputError('amount is missing');
      if (Number.isNaN(amount)) throw new KpiInputError(`amount must be a non-negative integer, got "${amountText}"`);
      const pipelineText = idx.pipelineId === undefined ? '' : (cells[idx.pipelineId] ?? '');
      const edit = validatePlan(cells[idx.month] ?? '', cells[idx.managerId] ?? '', amount, pipelineText === '' ? null : pipelineText);
      const key = `${edit.month}/${edit.managerId}${edit.pipelineId ? ` in pipeline ${edit.pipelineId}` : ''}`;
      if (seen.has(key)) throw new KpiInputError(`duplicate of line ${seen.get(key)} (${key})`);
      seen.set(key, i + 1);
      out.push({ line: i + 1, edit });
    } catch (err) {
      throw new KpiInputError(`line ${i + 1}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Imports a plans CSV in one transaction: all rows or none. Returns how many rows were written. */
export async function importPlansCsv(db: Db, text: string, by: string): Promise<number> {
  const rows = parsePlansCsv(text);
  await db.tx(async (tx) => {
    for (const r of rows) {
      try {
        await setPlan(tx, r.edit, by);
      } catch (err) {
        if (err instanceof KpiInputError) throw new KpiInputError(`line ${r.line}: ${err.message}`);
        throw err;
      }
    }
  });
  return rows.length;
}

/**
 * Plans as CSV, ordered by month, manager and pipeline (the overall plan first). The pipeline_id and
 * pipelineName columns are written only when the export holds a pipeline plan, empty on overall rows: a
 * department without pipeline plans gets exactly the file it always got. Imports back to the same plans.
 */
export async function exportPlansCsv(db: Db, month?: string): Promise<string> {
  const rows = await allPlans(db, month);
  const withPipelines = rows.some((r) => r.pipelineId !== undefined);
  const lines = [`month,managerId,managerName,amount${withPipelines ? ',pipeline_id,pipelineName' : ''}`];
  for (const r of rows) {
    const cells = [r.month, r.managerId, r.managerName, r.amount];
    if (withPipelines) cells.push(r.pipelineId ?? null, r.pipelineName ?? null);
    lines.push(cells.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}
