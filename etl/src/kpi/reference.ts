import { DateTime } from 'luxon';
import type { Db } from '../db';
import type { KpiContext } from './context';
import { formatInstant } from './time';

export async function listManagers(db: Db, ctx: KpiContext): Promise<{ id: number; name: string; isActive: boolean }[]> {
  return db.map(
    `SELECT id, name, is_active FROM amo.users
      WHERE $1::bigint[] IS NULL OR id = ANY($1::bigint[]) ORDER BY name, id`,
    [ctx.managers],
    (r) => ({ id: r.id, name: r.name, isActive: r.is_active }),
  );
}

export async function listPipelines(db: Db): Promise<{ id: number; name: string; statuses: { id: number; name: string; type: number }[] }[]> {
  return db.map(
    `SELECT p.id, p.name,
            coalesce((SELECT json_agg(json_build_object('id', s.id, 'name', s.name, 'type', s.type) ORDER BY s.sort, s.id)
                        FROM amo.statuses s WHERE s.pipeline_id = p.id), '[]') AS statuses
       FROM amo.pipelines p ORDER BY p.sort, p.id`,
    [],
    (r) => ({ id: r.id, name: r.name, statuses: r.statuses }),
  );
}

export interface StreamStatus {
  stream: string;
  mode: string;
  startedAt: string;
  finishedAt: string | null;
  rows: number;
  upserted: number;
  deleted: number;
  requests: number;
  error: string | null;
  lastSuccessAt: string | null;
}

export interface SyncStatus {
  now: string;
  timezone: string;
  currency: string | null;
  dataLagSeconds: number | null;
  lastSuccessAt: string | null;
  streams: StreamStatus[];
}

/**
 * Freshness: the last run of every stream and its last successful finish. The data lag is measured from the
 * oldest of those successes — the board is only as fresh as its stalest stream.
 */
export async function syncStatus(db: Db, ctx: KpiContext): Promise<SyncStatus> {
  const rows = await db.any(
    `SELECT DISTINCT ON (r.stream) r.stream, r.mode, r.started_at, r.finished_at, r.fetched, r.upserted, r.deleted, r.requests, r.error,
            (SELECT max(s.finished_at) FROM app.sync_runs s WHERE s.stream = r.stream AND s.error IS NULL AND s.finished_at IS NOT NULL) AS last_success
       FROM app.sync_runs r
      ORDER BY r.stream, r.started_at DESC, r.id DESC`,
  );
  const fmt = (d: Date | null) => (d ? formatInstant(DateTime.fromJSDate(d), ctx.zone) : null);
  const successes = rows.map((r) => r.last_success as Date | null);
  const oldest = successes.length && successes.every(Boolean) ? new Date(Math.min(...successes.map((d) => d!.getTime()))) : null;
  return {
    now: formatInstant(ctx.now, ctx.zone),
    timezone: ctx.zone,
    currency: ctx.currency,
    dataLagSeconds: oldest ? Math.max(0, Math.round((ctx.now.toMillis() - oldest.getTime()) / 1000)) : null,
    lastSuccessAt: fmt(oldest),
    streams: rows.map((r) => ({
      stream: r.stream,
      mode: r.mode,
      startedAt: fmt(r.started_at)!,
      finishedAt: fmt(r.finished_at),
      rows: r.fetched,
      upserted: r.upserted,
      deleted: r.deleted,
      requests: r.requests,
      error: r.error,
      lastSuccessAt: fmt(r.last_success),
    })),
  };
}
