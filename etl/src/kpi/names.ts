import type { Db } from '../db';

/**
 * Names for the id columns of the long KPI lists (a few hundred rows), joined in memory: a list of thousands of
 * rows then carries ids only, which the driver parses far faster than repeated text, and every row shares one
 * string per name instead of a copy each.
 */
export async function userNames(db: Db): Promise<Map<number, string>> {
  const rows = await db.any<{ id: number; name: string }>('SELECT id, name FROM amo.users');
  return new Map(rows.map((r) => [r.id, r.name]));
}

export interface StageNames {
  users: Map<number, string>;
  pipelines: Map<number, string>;
  /** Keyed by `${pipelineId}:${statusId}` (status ids repeat across pipelines: 142, 143). */
  statuses: Map<string, string>;
}

export async function stageNames(db: Db): Promise<StageNames> {
  const [users, pipelines, statuses] = await Promise.all([
    userNames(db),
    db.any<{ id: number; name: string }>('SELECT id, name FROM amo.pipelines'),
    db.any<{ pipeline_id: number; id: number; name: string }>('SELECT pipeline_id, id, name FROM amo.statuses'),
  ]);
  return {
    users,
    pipelines: new Map(pipelines.map((r) => [r.id, r.name])),
    statuses: new Map(statuses.map((r) => [`${r.pipeline_id}:${r.id}`, r.name])),
  };
}
