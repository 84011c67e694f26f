import type { Db } from '../db';
import type { KpiContext } from './context';
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
}

/** Active leads by calendar days in their current stage (in the account zone), longest first. */
export async function staleDeals(db: Db, ctx: KpiContext, f: StaleFilter): Promise<StaleDeals> {
  const rows = await db.any(
    `SELECT s.lead_id, s.lead_name, s.manager_id, u.name AS manager_name, s.pipeline_id, p.name AS pipeline_name,
            s.status_id, st.name AS status_name, s.price, s.days_in_status,
            -- epoch milliseconds (floored as a JS Date would): a number parses far faster than a timestamptz over 15 000 rows
            floor(extract(epoch FROM s.entered_at) * 1000)::float8 AS entered_ms
       FROM kpi.stale_deals($(now)::timestamptz, $(zone), $(minDays)) s
       LEFT JOIN amo.users u ON u.id = s.manager_id
       LEFT JOIN amo.pipelines p ON p.id = s.pipeline_id
       LEFT JOIN amo.statuses st ON st.pipeline_id = s.pipeline_id AND st.id = s.status_id
      WHERE ($(managerId)::bigint IS NULL OR s.manager_id = $(managerId)::bigint)
        AND ($(pipelineId)::bigint IS NULL OR s.pipeline_id = $(pipelineId)::bigint)
        AND ($(managers)::bigint[] IS NULL OR s.manager_id = ANY($(managers)::bigint[]))
      ORDER BY s.days_in_status DESC, s.lead_id`,
    { now: ctx.now.toISO(), zone: ctx.zone, minDays: f.minDays, managerId: f.managerId, pipelineId: f.pipelineId, managers: ctx.managers },
  );
  return {
    asOf: formatInstant(ctx.now, ctx.zone),
    rows: rows.map((r) => ({
      leadId: r.lead_id,
      leadName: r.lead_name,
      managerId: r.manager_id,
      managerName: r.manager_name,
      pipelineId: r.pipeline_id,
      pipelineName: r.pipeline_name,
      statusId: r.status_id,
      statusName: r.status_name,
      price: r.price,
      daysInStatus: r.days_in_status,
      enteredAt: r.entered_ms === null ? null : formatMillis(r.entered_ms, ctx.zone),
      url: ctx.amocrmBaseUrl ? `${ctx.amocrmBaseUrl}/leads/detail/${r.lead_id}` : null,
    })),
  };
}
