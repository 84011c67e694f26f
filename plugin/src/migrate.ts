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

/** Text as the editor stores it: a trimmed string, a finite number as its digits; anything else is absent. */
function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** An id field: like text(), and a JSON array of ids ([11, 12]) as the comma-joined form a multi-value variable gives. */
function idText(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    const parts = value.map(text).filter((p): p is string => p !== undefined);
    return parts.length ? parts.join(',') : undefined;
  }
  return text(value);
}

/** A number, or a string holding one ("50" in hand-written JSON); anything else (blank, "abc") is absent. */
function numberOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function wholeNumber(value: unknown): number | undefined {
  const n = numberOf(value);
  return n === undefined ? undefined : Math.max(0, Math.trunc(n));
}

// Provisioning files are written by hand, often with version 1 copied from an exported panel: a number
// typed as a string ("50", "") or null must still become a number or nothing there, and an id or date
// typed as a number (`"managerId": 11`) or null must become text or nothing (interpolation reads text).
const NUMERIC_FIELDS = ['minDays', 'limit'] as const;
const TEXT_FIELDS = ['managerId', 'pipelineId', 'date'] as const;
const needsNormalising = (saved: Record<string, unknown>) =>
  NUMERIC_FIELDS.some((k) => typeof saved[k] === 'string' || saved[k] === null) ||
  TEXT_FIELDS.some((k) => k in saved && saved[k] !== undefined && typeof saved[k] !== 'string');

/**
 * Brings a saved query up to QUERY_VERSION (Infinity's pattern), so the model can change without
 * breaking saved dashboards. Version 0 is anything saved without a version: the scaffold's
 * {queryText, constant}, hand-written provisioning JSON with numeric ids, "stale-deals" spellings.
 * A current query passes through as the same object unless a number in it is still text, an id or date
 * is not text, or one of them is null.
 */
export function migrateQuery(query: object): AmokpiQuery {
  const saved = query as Record<string, unknown>;
  if (saved.version === QUERY_VERSION && !needsNormalising(saved)) {
    return query as AmokpiQuery;
  }
  const { queryText, constant: _constant, pipelineId, managerId, minDays, limit, date, ...rest } = saved;
  const fields = {
    pipelineId: idText(pipelineId),
    managerId: idText(managerId),
    minDays: wholeNumber(minDays),
    // Kept as written (0, 2.5, 20000 included): resolveQuery then names the field and its range, where
    // silently clamping would show a different number of rows than the file asks for.
    limit: numberOf(limit),
    date: text(date),
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
