import { z } from 'zod/mini';

// Response payloads of the amokpi KPI API (shared/KPI.md, HTTP section). Optional/nullable where the
// contract allows a missing figure, so a partial answer still renders instead of failing the panel.
// zod/mini keeps the bundle small (tree-shakable functions instead of methods).
const amount = z.nullable(z.number());
const count = z.optional(z.nullable(z.number()));
const text = z.nullable(z.string());
const band = z.nullable(z.enum(['red', 'yellow', 'green']));

export const bandsSchema = z.object({ red: z.number(), green: z.number() });

export const managersKpiSchema = z.object({
  date: z.string(),
  periodStart: z.optional(z.string()),
  asOf: z.optional(z.string()),
  timezone: z.optional(z.string()),
  currency: z.optional(text),
  bands: z.optional(bandsSchema),
  rows: z.array(
    z.object({
      managerId: z.number(),
      managerName: text,
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
  timezone: z.optional(z.string()),
  messageMinutes: z.optional(z.number()),
  rows: z.array(
    z.object({
      date: z.string(),
      managerId: z.number(),
      managerName: text,
      callMinutes: z.number(),
      messages: z.number(),
      activityMinutes: z.number(),
    })
  ),
});
export type ActivityKpi = z.infer<typeof activitySchema>;

export const staleDealsSchema = z.object({
  asOf: z.optional(z.string()),
  rows: z.array(
    z.object({
      leadId: z.number(),
      leadName: text,
      managerId: z.nullable(z.number()),
      managerName: text,
      pipelineId: z.nullable(z.number()),
      pipelineName: text,
      statusId: z.nullable(z.number()),
      statusName: text,
      price: z.nullable(z.number()),
      daysInStatus: z.number(),
      enteredAt: text,
      url: text,
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

const figure = z.optional(amount);
const departmentPeriod = z.object({
  date: z.string(),
  asOf: z.optional(z.string()),
  wonAmount: figure,
  wonCount: figure,
  avgWonAmount: figure,
  inProgressAmount: figure,
  inProgressCount: figure,
  planAmount: figure,
  planRemainder: figure,
});

const change = z.nullable(z.object({ abs: figure, pct: figure }));

export const departmentSchema = z.object({
  current: departmentPeriod,
  previous: departmentPeriod,
  change: z.optional(z.record(z.string(), change)),
  currency: z.optional(text),
});
export type DepartmentKpi = z.infer<typeof departmentSchema>;

export const managerSchema = z.object({ id: z.number(), name: text, isActive: z.optional(z.boolean()) });
export const managersListSchema = z.array(managerSchema);
export type Manager = z.infer<typeof managerSchema>;

export const pipelineSchema = z.object({
  id: z.number(),
  name: z.string(),
  statuses: z.optional(z.array(z.object({ id: z.number(), name: z.string(), type: z.optional(z.nullable(z.number())) }))),
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

const when = z.optional(text);
const num = z.optional(z.nullable(z.number()));
const streamEntry = z.looseObject({
  stream: z.optional(z.string()),
  name: z.optional(z.string()),
  startedAt: when,
  finishedAt: when,
  rows: num,
  fetched: num,
  upserted: num,
  requests: num,
  error: when,
});
type StreamEntry = z.infer<typeof streamEntry>;

// KPI.md fixes what /status says (last sync per stream, lag, zone, currency) but not its exact keys, so
// streams are accepted as an array or as an object keyed by stream name.
export const statusSchema = z.pipe(
  z.looseObject({
    streams: z.optional(z.union([z.array(streamEntry), z.record(z.string(), streamEntry)])),
    lagSeconds: num,
    dataLagSeconds: num,
    timezone: z.optional(z.string()),
    currency: z.optional(text),
    now: z.optional(z.string()),
  }),
  z.transform((s) => {
    const entries: Array<[string | undefined, StreamEntry]> = Array.isArray(s.streams)
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
  })
);
export type Status = z.output<typeof statusSchema>;
