import type { Db } from '../db';
import { allPlans, lockPlanWrites, parseAmountText, setPlan, validatePlan, type PlanEdit } from './plans';
import { KpiInputError } from './time';

/** One CSV record and the line it starts on. */
interface CsvRecord {
  line: number;
  cells: string[];
}

/** The separators a plans CSV may use: `,` (the export's default) or `;` (Excel with a Russian locale). */
type Separator = ',' | ';';

/**
 * The separator of a file: the first `,` or `;` outside quotes on the header (the first line with text). A file
 * uses one separator, so the other one is text: an Excel `;` file may hold `Кузнецов, Алексей` unquoted.
 */
function detectSeparator(text: string): Separator {
  let quoted = false;
  let content = false;
  for (const c of text) {
    if (c === '"') {
      // A doubled quote toggles twice: still inside the cell.
      quoted = !quoted;
      content = true;
    } else if (quoted) continue;
    else if (c === ',' || c === ';') {
      // Separators before any text are a blank line (`;;`), not the header.
      if (content) return c;
    } else if (c === '\n') {
      if (content) break;
    } else if (c !== ' ' && c !== '\t') content = true;
  }
  return ',';
}

/**
 * Splits a CSV text into records (RFC 4180: quoted cells may hold the separator, doubled quotes and line
 * breaks; one separator per file, see detectSeparator). Line ends may be LF, CRLF or CR alone (old Mac Excel).
 * Strict: an unterminated quote, or text after a closing quote, rejects the file with the line it is on. Cells
 * are trimmed; blank lines and lines of separators only (Excel's `;;` for a cleared row) are skipped.
 */
function parseCsv(raw: string): CsvRecord[] {
  const text = raw.replace(/\r\n?/g, '\n');
  const sep = detectSeparator(text);
  const out: CsvRecord[] = [];
  let cells: string[] = [];
  let cur = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let quoteLine = 0;
  /** After a closing quote only spaces may come before the separator or the end of the line. */
  let closed = false;
  /** No text and no quoted cell yet on this record: separators alone leave it blank. */
  let blank = true;
  const endCell = () => {
    cells.push(cur.trim());
    cur = '';
    closed = false;
  };
  const endRecord = () => {
    endCell();
    if (!blank) out.push({ line: start, cells });
    cells = [];
    blank = true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') (quoted = false), (closed = true);
      else {
        if (c === '\n') line++;
        cur += c;
      }
      continue;
    }
    if (c === '\n') {
      endRecord();
      start = ++line;
    } else if (c === sep) {
      endCell();
    } else if (closed) {
      if (c !== ' ' && c !== '\t') throw new KpiInputError(`line ${line}: text after the closing quote of a cell (${JSON.stringify(cur)} then ${JSON.stringify(c)})`);
    } else if (c === '"' && cur.trim() === '') {
      quoted = true;
      quoteLine = line;
      cur = '';
      blank = false;
    } else {
      cur += c;
      if (c !== ' ' && c !== '\t') blank = false;
    }
  }
  if (quoted) throw new KpiInputError(`line ${quoteLine}: unterminated quote (a cell opens a quote that never closes)`);
  endRecord();
  return out;
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
 * Where each column the import reads is. A column named twice (`amount` twice, or `managerId` and `manager_id`)
 * is refused: which one holds the value would be a guess. Columns the import ignores may repeat.
 */
function columnsOf({ line, cells }: CsvRecord): Partial<Record<keyof PlanEdit, number>> {
  const idx: Partial<Record<keyof PlanEdit, number>> = {};
  cells.forEach((name, i) => {
    const key = HEADER_ALIASES[name.toLowerCase()];
    if (!key) return;
    const first = idx[key];
    if (first !== undefined) {
      throw new KpiInputError(`line ${line}: the header names the column ${key} twice (${JSON.stringify(cells[first])} in column ${first + 1}, ${JSON.stringify(name)} in column ${i + 1})`);
    }
    idx[key] = i;
  });
  return idx;
}

/**
 * Parses a plans CSV (header with month, managerId, amount and optionally pipeline_id; other columns such as
 * managerName are ignored). Without a pipeline_id column, or with an empty cell, a row is the manager's
 * overall plan. Any bad line rejects the whole file with its line number.
 */
export function parsePlansCsv(text: string): { line: number; edit: PlanEdit }[] {
  const records = parseCsv(text.replace(/^\uFEFF/, ''));
  const headerRecord = records[0];
  if (!headerRecord) throw new KpiInputError('the file is empty: it needs a header naming the columns month, managerId and amount, then one plan per line');
  const header = headerRecord.cells.map((h) => h.toLowerCase());
  const idx = columnsOf(headerRecord);
  if (idx.month === undefined || idx.managerId === undefined || idx.amount === undefined) {
    throw new KpiInputError(`line ${headerRecord.line}: the header must name the columns month, managerId and amount`);
  }
  const seen = new Map<string, number>();
  const out: { line: number; edit: PlanEdit }[] = [];
  for (const { line, cells } of records.slice(1)) {
    try {
      // A cell beyond the header (a stray trailing comma, a shifted row) is refused rather than ignored.
      if (cells.length > header.length) throw new KpiInputError(`${cells.length} cells, but the header has ${header.length} columns`);
      const amountText = cells[idx.amount] ?? '';
      if (amountText === '') throw new KpiInputError('amount is missing');
      const amount = parseAmountText(amountText);
      const pipelineText = idx.pipelineId === undefined ? '' : (cells[idx.pipelineId] ?? '');
      const edit = validatePlan(cells[idx.month] ?? '', cells[idx.managerId] ?? '', amount, pipelineText === '' ? null : pipelineText);
      const key = `${edit.month}/${edit.managerId}${edit.pipelineId ? ` in pipeline ${edit.pipelineId}` : ''}`;
      if (seen.has(key)) throw new KpiInputError(`duplicate of line ${seen.get(key)} (${key})`);
      seen.set(key, line);
      out.push({ line, edit });
    } catch (err) {
      throw new KpiInputError(`line ${line}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Imports a plans CSV in one transaction: all rows or none. Returns how many rows were written. */
export async function importPlansCsv(db: Db, text: string, by: string): Promise<number> {
  const rows = parsePlansCsv(text);
  await db.tx(async (tx) => {
    // Before the first row, not per row: the whole file is written under the one lock every plan write takes.
    await lockPlanWrites(tx);
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
 * excel: for Excel with a Russian (or any ';'-list) locale: a UTF-8 byte-order mark, ';' between cells and
 * CRLF line ends, so that Cyrillic names and the columns open right on a double click (import reads it too).
 */
export async function exportPlansCsv(db: Db, month?: string, opts: { excel?: boolean } = {}): Promise<string> {
  const rows = await allPlans(db, month);
  const withPipelines = rows.some((r) => r.pipelineId !== undefined);
  const sep = opts.excel ? ';' : ',';
  const header = ['month', 'managerId', 'managerName', 'amount', ...(withPipelines ? ['pipeline_id', 'pipelineName'] : [])];
  const lines = [header.join(sep)];
  for (const r of rows) {
    const cells = [r.month, r.managerId, r.managerName, r.amount];
    if (withPipelines) cells.push(r.pipelineId ?? null, r.pipelineName ?? null);
    lines.push(cells.map(csvField).join(sep));
  }
  return opts.excel ? `\uFEFF${lines.join('\r\n')}\r\n` : `${lines.join('\n')}\n`;
}
