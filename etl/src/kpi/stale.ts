import { pgp, type Db } from '../db';
import { parseInt8Array } from '../db/int-arrays';
import type { KpiContext } from './context';
import { keepZone } from './kept-zone';
import { stageNames, type StageNames } from './names';
import { formatInstant, formatMillis } from './time';

export interface StaleDealRow {
  leadId: number;
  leadName: string | null;
  managerId: number | null;
  managerName: string | null;
  pipelineId: number;
  pipelineName: string | null;
  statusId: number;
  statusName: string | null;
  price: number;
  daysInStatus: number;
  enteredAt: string | null;
  url: string | null;
}

export interface StaleDeals {
  asOf: string;
  rows: StaleDealRow[];
}

export interface StaleFilter {
  minDays: number;
  managerId: number | null;
  pipelineId: number | null;
  /** The longest-stuck N only; null for every row. */
  limit?: number | null;
}

/**
 * The stuck deals as Postgres prints them, one text each: the numbers as a bigint[] prints
 * (`{leadId,managerId,pipelineId,statusId,price,daysInStatus,enteredAt epoch ms}`), then `"` and the lead's name
 * unless it has none. The array's text holds no other `}`, so the two parts split unambiguously.
 */
export interface StaleRows {
  printed: string[];
  names: StageNames;
}

/**
 * A row of kpi.stale_deals (`s`) as StaleRows prints it. The array and the instant are built only for the rows
 * returned: built for every candidate they took the TV's 50-row list from 22 to 30 ms (33 000 candidates at 1M leads).
 */
const printedRow = (s: string) => `ARRAY[${s}.lead_id, ${s}.manager_id, ${s}.pipeline_id, ${s}.status_id, ${s}.price, ${s}.days_in_status,
    -- epoch milliseconds, as a JS Date holds them: a number parses far faster than a timestamptz. Truncated to whole
    -- milliseconds first so the float8 product rounds back exactly; extract() would be exact too but computes in
    -- numeric, 2.5x slower (10 vs 4 ms over 37 000 open deals).
    round(date_part('epoch', date_trunc('milliseconds', ${s}.entered_at)) * 1000)::bigint]::text
    || coalesce('"' || ${s}.lead_name, '')`;

/**
 * A kept row's version key, `v<leadId>,<version>,<days in status>`: everything its printed text holds is fixed by the
 * version (a new one whenever kpi.open_deals writes the row) but the days, which turn at midnight.
 */
const versionKey = (s: string) => `'v' || ${s}.lead_id || ',' || ${s}.version || ',' || ${s}.days_in_status`;

/**
 * The stuck deals, filtered, ranked and limited by kpi.stale_deals; each row as the columns `row(s)` gives print it
 * (`r`, and `k` when asked). Tens of thousands of rows at 1M leads: names come from a lookup fetched meanwhile
 * (measured: 11 columns with three repeated names took the driver twice as long as these 8), and each row travels
 * as one text: one field per row to decode instead of eight.
 */
async function staleQuery<R extends { r: string }>(db: Db, ctx: KpiContext, f: StaleFilter, row: (s: string) => string): Promise<{ rows: R[]; names: StageNames }> {
  await keepZone(db, ctx.zone);
  const [rows, names] = await Promise.all([
    db.any<R>(
      new pgp.ParameterizedQuery({
        text: `SELECT ${row('s')} FROM kpi.stale_deals($1::timestamptz, $2, $3, $4, $5, $6, $7) WITH ORDINALITY s ORDER BY s.ordinality`,
        values: [ctx.now.toISO(), ctx.zone, f.minDays, f.managerId, f.pipelineId, ctx.managers, f.limit ?? null],
      }),
    ),
    stageNames(db),
  ]);
  return { rows, names };
}

/** Active leads by calendar days in their current stage (in the account zone), longest first, as Postgres prints them. */
export async function staleRows(db: Db, ctx: KpiContext, f: StaleFilter): Promise<StaleRows> {
  const { rows, names } = await staleQuery<{ r: string }>(db, ctx, f, (s) => `${printedRow(s)} AS r`);
  return { printed: rows.map((x) => x.r), names };
}

/** A row's key: its version key (isVersionKey) when it is a kept row, else its printed text. */
const rowKey = (s: string) => `CASE WHEN ${s}.version IS NULL THEN ${printedRow(s)} ELSE ${versionKey(s)} END`;

/**
 * The same list with each row as its key: a kept row's version key stands for the printed row staleRowsOf returns
 * for it; a row computed apart (another zone than the kept one, or a frozen now before a status event) comes printed.
 */
export async function staleKeys(db: Db, ctx: KpiContext, f: StaleFilter): Promise<StaleKeys> {
  const { rows, names } = await staleQuery<{ r: string }>(db, ctx, f, (s) => `${rowKey(s)} AS r`);
  return { keys: rows.map((x) => x.r), names };
}

/** The list as staleKeys gives it: each row's key, and the names. */
export interface StaleKeys {
  keys: string[];
  names: StageNames;
}

/** The list with each row's key (staleKeys) and its printed text (staleRows), from one read. */
export async function staleKeyedRows(db: Db, ctx: KpiContext, f: StaleFilter): Promise<StaleRows & StaleKeys> {
  const { rows, names } = await staleQuery<{ k: string; r: string }>(db, ctx, f, (s) => `${rowKey(s)} AS k, ${printedRow(s)} AS r`);
  return { keys: rows.map((x) => x.k), printed: rows.map((x) => x.r), names };
}

export function isVersionKey(key: string): boolean {
  return key.charCodeAt(0) === 118; // v
}

/**
 * The printed rows of these version keys (staleKeys, with the same context), by key; a key whose row has been
 * rewritten since, or whose zone is no longer the kept one, is missing.
 */
export async function staleRowsOf(db: Db, ctx: KpiContext, keys: readonly string[]): Promise<Map<string, string>> {
  const versions = keys.map((k) => k.slice(k.indexOf(',') + 1, k.lastIndexOf(',')));
  const rows = await db.any<{ k: string; r: string }>(
    new pgp.ParameterizedQuery({
      text: `SELECT ${versionKey('s')} AS k, ${printedRow('s')} AS r FROM kpi.stale_deal_versions($1::timestamptz, $2, $3::bigint[]) s`,
      values: [ctx.now.toISO(), ctx.zone, versions],
    }),
  );
  return new Map(rows.map((x) => [x.k, x.r]));
}

/** The prefix of a lead's link in amoCRM, or null without AMOCRM_BASE_URL. */
export function leadLinkPrefix(ctx: KpiContext): string | null {
  return ctx.amocrmBaseUrl ? `${ctx.amocrmBaseUrl}/leads/detail/` : null;
}

/** One row of the answer, from the row as Postgres printed it (StaleRows), the names and the context. */
export function shapeStaleRow(printed: string, names: StageNames, zone: string, link: string | null): StaleDealRow {
  const numbersEnd = printed.indexOf('}') + 1;
  // A lead without a manager has a null manager_id; entered_at is typed nullable, as the function's column is.
  const [leadId, managerId, pipelineId, statusId, price, daysInStatus, enteredMs] = parseInt8Array(printed.slice(0, numbersEnd)) as [number, number | null, number, number, number, number, number | null];
  return {
    leadId,
    leadName: numbersEnd === printed.length ? null : printed.slice(numbersEnd + 1),
    managerId,
    managerName: managerId === null ? null : (names.users.get(managerId) ?? null),
    pipelineId,
    pipelineName: names.pipelines.get(pipelineId) ?? null,
    statusId,
    statusName: names.statuses.get(`${pipelineId}:${statusId}`) ?? null,
    price,
    daysInStatus,
    enteredAt: enteredMs === null ? null : formatMillis(enteredMs, zone),
    url: link && `${link}${leadId}`,
  };
}

/** Active leads by calendar days in their current stage (in the account zone), longest first. */
export async function staleDeals(db: Db, ctx: KpiContext, f: StaleFilter): Promise<StaleDeals> {
  const { printed, names } = await staleRows(db, ctx, f);
  const link = leadLinkPrefix(ctx);
  return { asOf: formatInstant(ctx.now, ctx.zone), rows: printed.map((p) => shapeStaleRow(p, names, ctx.zone, link)) };
}

/**
 * The instant (epoch ms) from which the list as of ctx.now may change without a write, besides midnight: a row dated
 * after now taking effect (migration 0020). ctx.now itself when the list cannot be kept at all; Infinity for never.
 */
export async function staleDealsChangeAt(db: Db, ctx: KpiContext): Promise<number> {
  const { at } = await db.one<{ at: Date | null }>('SELECT kpi.stale_deals_change_at($1) AS at', [ctx.now.toISO()]);
  return at === null ? Infinity : at.getTime();
}
