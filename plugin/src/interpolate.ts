import { ScopedVars } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

import { AmokpiError } from './api/errors';
import { AmokpiQuery, MAX_STALE_LIMIT } from './types';

/** A query with its variables replaced and its fields checked, ready to become API parameters. */
export interface ResolvedQuery {
  pipelineId?: number; // undefined = all pipelines
  managerIds?: number[]; // undefined = all managers
  minDays: number;
  limit?: number; // undefined = every row
  date?: string; // undefined = the caller's default
}

// Values that mean "no filter": an empty field, or an "All" option without a custom all-value.
const ALL_TOKENS = new Set(['', 'all', '*', '$__all', '__all']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Multi-value variables come back comma-joined so one field can carry several ids. */
const joinValues = (value: unknown): string => (Array.isArray(value) ? value.join(',') : String(value ?? ''));

/**
 * `text` is typed as a string, but a saved query that bypassed migrateQuery may hold a number (`"managerId": 11`
 * in hand-written JSON); Grafana's TemplateSrv.replace calls target.replace(), so only a string goes to it.
 */
export function interpolateText(text: string | number | null | undefined, templateSrv: TemplateSrv, scopedVars: ScopedVars): string {
  if (text === undefined || text === null || text === '') {
    return '';
  }
  return templateSrv.replace(String(text), scopedVars, joinValues).trim();
}

function parseIds(raw: string, what: string, original: string): number[] | undefined {
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => ALL_TOKENS.has(p.toLowerCase()))) {
    return undefined;
  }
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) {
      throw new AmokpiError(
        `${what} "${original}" is "${p}", which is not a ${what.toLowerCase()} id: pick one from the list or a variable holding ids.`,
        'input'
      );
    }
    return Number(p);
  });
}

export function resolveQuery(query: AmokpiQuery, templateSrv: TemplateSrv, scopedVars: ScopedVars = {}): ResolvedQuery {
  const managerIds = parseIds(interpolateText(query.managerId, templateSrv, scopedVars), 'Manager', query.managerId ?? '');
  const pipelines = parseIds(interpolateText(query.pipelineId, templateSrv, scopedVars), 'Pipeline', query.pipelineId ?? '');
  if (pipelines && pipelines.length > 1) {
    // The API answers one pipeline at a time, with that pipeline's own plans; a sum of several answers
    // would match no plan anyone entered (nor the overall plans), so refuse rather than guess.
    throw new AmokpiError(
      `Pipeline "${query.pipelineId}" has ${pipelines.length} values: choose one pipeline or "All".`,
      'input'
    );
  }
  const date = interpolateText(query.date, templateSrv, scopedVars);
  if (date && !DATE.test(date)) {
    throw new AmokpiError(`Date "${query.date}" is "${date}", not a date like 2026-03-31.`, 'input');
  }
  const minDays = query.minDays ?? 0;
  if (!Number.isInteger(minDays) || minDays < 0) {
    throw new AmokpiError(`Min days must be a whole number of days, 0 or more (got ${minDays}).`, 'input');
  }
  const limit = query.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_STALE_LIMIT)) {
    throw new AmokpiError(`At most (rows) must be a whole number from 1 to ${MAX_STALE_LIMIT}, or empty for every row (got ${limit}).`, 'input');
  }
  return { managerIds, pipelineId: pipelines?.[0], minDays, limit, date: date || undefined };
}

/** For Explore, "inspect query" and panel links: the same query with its variables replaced. */
export function interpolateQuery(query: AmokpiQuery, templateSrv: TemplateSrv, scopedVars: ScopedVars = {}): AmokpiQuery {
  return {
    ...query,
    pipelineId: query.pipelineId ? interpolateText(query.pipelineId, templateSrv, scopedVars) : query.pipelineId,
    managerId: query.managerId ? interpolateText(query.managerId, templateSrv, scopedVars) : query.managerId,
    date: query.date ? interpolateText(query.date, templateSrv, scopedVars) : query.date,
  };
}
