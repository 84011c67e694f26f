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

/** Time zone: AMOKPI_TIMEZONE, else the account's, else UTC. */
export async function loadKpiContext(db: Db, config: Config): Promise<KpiContext> {
  const account = await db.oneOrNone<{ timezone: string; currency: string }>(
    'SELECT timezone, currency FROM amo.account ORDER BY synced_at DESC LIMIT 1',
  );
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
