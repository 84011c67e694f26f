import { z } from 'zod';

// Response payloads of the amokpi KPI API (shared/KPI.md, HTTP section). Optional/nullable where the
// contract allows a missing figure, so a partial answer still renders instead of failing the panel.
const amount = z.number().nullable();
const count = z.number().nullable().optional();
const band = z.enum(['red', 'yellow', 'green']).nullable();

export const bandsSchema = z.object({ red: z.number(), green: z.number() });

export const managersKpiSchema = z.object({
  date: z.string(),
  periodStart: z.string().optional(),
  asOf: z.string().optional(),
  timezone: z.string().optional(),
  currency: z.string().nullable().optional(),
  bands: bandsSchema.optional(),
  rows: z.array(
    z.object({
      managerId: z.number(),
      managerName: z.string().nullable(),
      planAmount: amount,
      wonAmount: z.number(),
      wonCount: z.number(),
      completionPct: amount,
      band: band,
      planRemainder: amount,
      openTasks: count,
      overdueTasks: count,
      leadsWithoutTasks: count,
    })
  ),
});
export type ManagersKpi = z.infer<typeof managersKpiSchema>;

export const activitySchema = z.object({
  timezone: z.string().optional(),
  messageMinutes: z.number().optional(),
  rows: z.array(
    z.object({
      date: z.string(),
      managerId: z.number(),
      managerName: z.string().nullable(),
      callMinutes: z.number(),
      messages: z.number(),
      activityMinutes: z.number(),
    })
  ),
});
export type ActivityKpi = z.infer<typeof activitySchema>;

export const staleDealsSchema = z.object({
  asOf: z.string().optional(),
  rows: z.array(
    z.object({
      leadId: z.number(),
      leadName: z.string().nullable(),
      managerId: z.number().nullable(),
      managerName: z.string().nullable(),
      pipelineId: z.number().nullable(),
      pipelineName: z.string().nullable(),
      statusId: z.number().nullable(),
      statusName: z.string().nullable(),
      price: z.number().nullable(),
      daysInStatus: z.number(),
      enteredAt: z.string().nullable(),
      url: z.string().nullable(),
    })
  ),
});
export type StaleDeals = z.infer<typeof staleDealsSchema>;

export const DEPARTMENT_FIGURES = [
  'wonAmount',
  'wonCount',
  'avgWonAmount',
  'inProgressAmount',
  'inProgressCount',
  'planAmount',
  'planRemainder',
] as const;
export type DepartmentFigure = (typeof DEPARTMENT_FIGURES)[number];

const departmentPeriod = z.object({
  date: z.string(),
  asOf: z.string().optional(),
  ...Object.fromEntries(DEPARTMENT_FIGURES.map((f) => [f, amount.optional()])),
}) as unknown as z.ZodType<{ date: string; asOf?: string } & Partial<Record<DepartmentFigure, number | null>>>;

const change = z.object({ abs: amount.optional(), pct: amount.optional() }).nullable();

export const departmentSchema = z.object({
  current: departmentPeriod,
  previous: departmentPeriod,
  change: z.record(z.string(), change).optional(),
  currency: z.string().nullable().optional(),
});
export type DepartmentKpi = z.infer<typeof departmentSchema>;

export const managerSchema = z.object({ id: z.number(), name: z.string().nullable(), isActive: z.boolean().optional() });
export const managersListSchema = z.array(managerSchema);
export type Manager = z.infer<typeof managerSchema>;

export const pipelineSchema = z.object({
  id: z.number(),
  name: z.string(),
  statuses: z.array(z.object({ id: z.number(), name: z.string(), type: z.number().nullable().optional() })).optional(),
});
export const pipelinesListSchema = z.array(pipelineSchema);
export type Pipeline = z.infer<typeof pipelineSchema>;

/** One stream's last sync, normalised from the status payload (see statusSchema). */
export interface StreamSync {
  stream: string;
  startedAt: string | null;
  finishedAt: string | null;
  rows: number | null;
  requests: number | null;
  error: string | null;
}

const when = z.union([z.string(), z.null()]).optional();
const streamEntry = z
  .object({
    stream: z.string().optional(),
    name: z.string().optional(),
    startedAt: when,
    finishedAt: when,
    rows: z.number().nullable().optional(),
    fetched: z.number().nullable().optional(),
    upserted: z.number().nullable().optional(),
    requests: z.number().nullable().optional(),
    error: z.string().nullable().optional(),
  })
  .passthrough();

// KPI.md fixes what /status says (last sync per stream, lag, zone, currency) but not its exact keys, so
// streams are accepted as an array or as an object keyed by stream name.
export const statusSchema = z
  .object({
    streams: z.union([z.array(streamEntry), z.record(z.string(), streamEntry)]).optional(),
    lagSeconds: z.number().nullable().optional(),
    dataLagSeconds: z.number().nullable().optional(),
    timezone: z.string().optional(),
    currency: z.string().nullable().optional(),
    now: z.string().optional(),
  })
  .passthrough()
  .transform((s) => {
    const entries: Array<[string | undefined, z.infer<typeof streamEntry>]> = Array.isArray(s.streams)
      ? s.streams.map((e) => [undefined, e])
      : Object.entries(s.streams ?? {});
    const streams: StreamSync[] = entries.map(([key, e]) => ({
      stream: e.stream ?? e.name ?? key ?? '?',
      startedAt: e.startedAt ?? null,
      finishedAt: e.finishedAt ?? null,
      rows: e.rows ?? e.upserted ?? e.fetched ?? null,
      requests: e.requests ?? null,
      error: e.error ?? null,
    }));
    return {
      streams,
      lagSeconds: s.lagSeconds ?? s.dataLagSeconds ?? null,
      timezone: s.timezone ?? null,
      currency: s.currency ?? null,
      /** The server's "now" (AMOKPI_NOW may freeze it), as epoch ms. */
      now: s.now ? Date.parse(s.now) : null,
    };
  });
export type Status = z.infer<typeof statusSchema>;
