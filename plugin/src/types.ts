import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

export type QueryType = 'managers' | 'tasks' | 'activity' | 'staleDeals' | 'department' | 'syncHealth';

/** The saved-query version this build writes; migrate.ts brings older queries up to it. */
export const QUERY_VERSION = 1;

export interface AmokpiQuery extends DataQuery {
  version: 1; // saved-query migration target (migrate.ts, Infinity's pattern)
  queryType: QueryType;
  pipelineId?: string; // id or "$pipeline"; empty = all
  managerId?: string; // id or "$manager"; empty = all
  minDays?: number; // staleDeals
  limit?: number; // staleDeals: the longest-stuck N rows only; absent = every row
  date?: string; // "as of" YYYY-MM-DD or a variable; empty = end of the dashboard range
}

/**
 * The API's ceiling for stale-deals `limit` (etl/src/api/params.ts MAX_LIMIT): checked here too, so a bad
 * value is a query error naming the field rather than the API's 400.
 */
export const MAX_STALE_LIMIT = 10_000;

export interface AmokpiOptions extends DataSourceJsonData {
  url?: string; // the ETL's base URL
}

export interface AmokpiSecureOptions {
  apiToken?: string;
}

export const DEFAULT_QUERY: Omit<AmokpiQuery, 'refId'> = {
  version: QUERY_VERSION,
  queryType: 'managers',
};

export interface QueryTypeInfo {
  value: QueryType;
  label: string;
  description: string;
  /** Which options the editor shows for this type. */
  options: ReadonlyArray<'pipelineId' | 'managerId' | 'minDays' | 'limit' | 'date'>;
}

export const QUERY_TYPES: readonly QueryTypeInfo[] = [
  {
    value: 'managers',
    label: 'Выполнение плана / Plan completion',
    description: 'Per manager: plan, won, completion %, tasks',
    options: ['pipelineId', 'managerId', 'date'],
  },
  {
    value: 'tasks',
    label: 'Задачи / Tasks',
    description: 'Per manager: open and overdue tasks, leads without tasks',
    options: ['pipelineId', 'managerId', 'date'],
  },
  {
    value: 'activity',
    label: 'Активность / Activity',
    description: 'Per manager per day of the dashboard range: call minutes and messages',
    options: ['managerId'],
  },
  {
    value: 'staleDeals',
    label: 'Зависшие сделки / Stuck deals',
    description: 'Active deals sitting in their stage for at least N days, the longest-stuck first',
    options: ['pipelineId', 'managerId', 'minDays', 'limit'],
  },
  {
    value: 'department',
    label: 'Отдел / Department',
    description: 'Department figures compared with the same day of the previous month',
    options: ['pipelineId', 'date'],
  },
  {
    value: 'syncHealth',
    label: 'Синхронизация / Sync health',
    description: 'Last sync per stream and how old the data is',
    options: [],
  },
];

export function queryTypeInfo(type: QueryType): QueryTypeInfo {
  return QUERY_TYPES.find((t) => t.value === type) ?? QUERY_TYPES[0];
}
