import type { ZodType } from 'zod';

/**
 * The contract between the amoCRM transport (client.ts and friends) and the sync streams.
 * Streams only ever see this interface; tests may plug a real client pointed at the simulator.
 */

/** PHP-style query: nested objects become bracket keys, arrays become `key[]=a&key[]=b`. */
export type QueryValue = string | number | boolean | undefined | null | QueryValue[] | { [k: string]: QueryValue };
export type Query = Record<string, QueryValue>;

export interface RequestStats {
  /** HTTP requests sent (including retried ones). */
  requests: number;
  /** 429 answers received. */
  throttled: number;
  /** 5xx and network errors retried. */
  retried: number;
}

export interface PageOptions<T> {
  /** `_embedded` key holding the items, e.g. "leads", "events", "notes". */
  embedded: string;
  /** Validates each item; a mismatch throws AmoPayloadError naming the entity and its id. */
  item: ZodType<T>;
  /** Entity name used in error messages ("lead", "task", ...). */
  entity: string;
  /** Aborts between requests (SIGTERM: finish the current page, then stop). */
  signal?: AbortSignal;
}

export interface AmoApi {
  /** GET one resource (account, a lead by id); null on 204. Validates with the schema when given. */
  get<T = unknown>(path: string, query?: Query, schema?: ZodType<T>): Promise<T | null>;
  /**
   * Walks a HAL list from page 1, following `_links.next` until it is absent or the server answers 204.
   * Yields each page's validated items; an empty list (204 on page 1) yields nothing.
   */
  pages<T>(path: string, query: Query, opts: PageOptions<T>): AsyncGenerator<T[], void, undefined>;
  /** Counters since the client was created (for sync_runs and benchmarks). */
  stats(): RequestStats;
}
