import type { DateTime } from 'luxon';
import type { Config } from '../config';
import { nowInstant } from '../clock';
import type { Db } from '../db';
import { todayIn } from './time';

/** Everything a KPI query needs besides its own parameters, resolved once per request. */
export interface KpiContext {
  zone: string;
  currency: string | null;
  now: DateTime;
  today: string;
  /** AMOKPI_MANAGERS, or null for everyone. */
  managers: number[] | null;
  bands: { red: number; green: number };
  messageMinutes: number;
  amocrmBaseUrl: string | null;
}

const ACCOUNT_SQL = 'SELECT timezone, currency FROM amo.account ORDER BY synced_at DESC LIMIT 1';

interface AccountRow {
  timezone: string | null;
  currency: string | null;
}

/** Time zone: AMOKPI_TIMEZONE, else the account's, else UTC. */
function contextOf(config: Config, account: AccountRow | null): KpiContext {
  const zone = config.timezone ?? account?.timezone ?? 'UTC';
  const now = nowInstant(config);
  return {
    zone,
    currency: account?.currency ?? null,
    now,
    today: todayIn(now, zone),
    managers: config.managers?.length ? config.managers : null,
    bands: config.bands,
    messageMinutes: config.messageMinutes,
    amocrmBaseUrl: config.amocrm.baseUrl ?? null,
  };
}

export async function loadKpiContext(db: Db, config: Config): Promise<KpiContext> {
  return contextOf(config, await db.oneOrNone<AccountRow>(ACCOUNT_SQL));
}

/**
 * The context, read with the statement's snapshot and whether a transaction that wrote KPI inputs has become
 * visible since `since` (migration 0019; always true without one): the API's kept answers ask it in the same query.
 */
export async function checkedKpiContext(db: Db, config: Config, since: string | null): Promise<{ ctx: KpiContext; snapshot: string; written: boolean }> {
  const r = await db.one<AccountRow & { snapshot: string; written: boolean }>(
    `SELECT a.timezone, a.currency, pg_current_snapshot()::text AS snapshot, app.written_since($1::pg_snapshot) AS written
       FROM (VALUES (1)) v LEFT JOIN LATERAL (${ACCOUNT_SQL}) a ON true`,
    [since],
  );
  return { ctx: contextOf(config, r), snapshot: r.snapshot, written: r.written };
}
