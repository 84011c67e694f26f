import type { Db } from '../db';
import type { KpiContext } from './context';
import { formatInstant } from './time';

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
}

/**
 * Active leads by calendar days in their current stage (in the account zone), longest first, rendered as
 * the JSON answer by Postgres: lists run to tens of thousands of rows, and parsing them into objects only
 * to serialise them again cost more than the query.
 */
export async function staleDealsJson(db: Db, ctx: KpiContext, f: StaleFilter): Promise<string> {
  const r = await db.one(
    `SELECT json_build_object('asOf', $(asOf)::text, 'rows', coalesce(json_agg(json_build_object(
              'leadId', s.lead_id, 'leadName', s.lead_name, 'managerId', s.manager_id, 'managerName', u.name,
              'pipelineId', s.pipeline_id, 'pipelineName', p.name, 'statusId', s.status_id, 'statusName', st.name,
              'price', s.price, 'daysInStatus', s.days_in_status, 'enteredAt', kpi.iso_in_zone(s.entered_at, $(zone)),
              'url', $(base)::text || '/leads/detail/' || s.lead_id
            ) ORDER BY s.days_in_status DESC, s.lead_id), '[]'::json))::text AS body
       FROM kpi.stale_deals($(now)::timestamptz, $(zone)) s
       LEFT JOIN amo.users u ON u.id = s.manager_id
       LEFT JOIN amo.pipelines p ON p.id = s.pipeline_id
       LEFT JOIN amo.statuses st ON st.pipeline_id = s.pipeline_id AND st.id = s.status_id
      WHERE s.days_in_status >= $(minDays)
        AND ($(managerId)::bigint IS NULL OR s.manager_id = $(managerId)::bigint)
        AND ($(pipelineId)::bigint IS NULL OR s.pipeline_id = $(pipelineId)::bigint)
        AND ($(managers)::bigint[] IS NULL OR s.manager_id = ANY($(managers)::bigint[]))`,
    {
      asOf: formatInstant(ctx.now, ctx.zone), now: ctx.now.toISO(), zone: ctx.zone, base: ctx.amocrmBaseUrl,
      minDays: f.minDays, managerId: f.managerId, pipelineId: f.pipelineId, managers: ctx.managers,
    },
  );
  return r.body as string;
}

export async function staleDeals(db: Db, ctx: KpiContext, f: StaleFilter): Promise<StaleDeals> {
  return JSON.parse(await staleDealsJson(db, ctx, f)) as StaleDeals;
}
