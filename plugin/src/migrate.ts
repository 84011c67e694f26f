import { AmokpiQuery, DEFAULT_QUERY, QUERY_VERSION, QueryType } from './types';

const QUERY_TYPE_ALIASES: Record<string, QueryType> = {
  managers: 'managers',
  plan: 'managers',
  tasks: 'tasks',
  activity: 'activity',
  staledeals: 'staleDeals',
  'stale-deals': 'staleDeals',
  stale_deals: 'staleDeals',
  department: 'department',
  synchealth: 'syncHealth',
  sync: 'syncHealth',
  status: 'syncHealth',
};

function queryTypeOf(value: unknown): QueryType | undefined {
  return typeof value === 'string' ? QUERY_TYPE_ALIASES[value.trim().toLowerCase()] : undefined;
}

function idText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function wholeNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : undefined;
}

/**
 * Brings a saved query up to QUERY_VERSION (Infinity's pattern), so the model can change without
 * breaking saved dashboards. Version 0 is anything saved without a version: the scaffold's
 * {queryText, constant}, hand-written provisioning JSON with numeric ids, "stale-deals" spellings.
 */
export function migrateQuery(query: object): AmokpiQuery {
  const saved = query as Record<string, unknown>;
  if (saved.version === QUERY_VERSION) {
    return query as AmokpiQuery;
  }
  const { queryText, constant: _constant, pipelineId, managerId, minDays, date, ...rest } = saved;
  const fields = {
    pipelineId: idText(pipelineId),
    managerId: idText(managerId),
    minDays: wholeNumber(minDays),
    date: typeof date === 'string' && date.trim() !== '' ? date.trim() : undefined,
  };
  return {
    ...rest,
    refId: typeof saved.refId === 'string' ? saved.refId : 'A',
    version: QUERY_VERSION,
    queryType: queryTypeOf(saved.queryType) ?? queryTypeOf(queryText) ?? DEFAULT_QUERY.queryType,
    // Omit empty fields rather than store undefined, so migrated JSON stays minimal.
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  };
}
