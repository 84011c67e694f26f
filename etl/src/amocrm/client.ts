import { Agent, type Dispatcher } from 'undici';
import type { ZodType } from 'zod';
import type { AmoApi, PageOptions, Query, RequestStats } from './api';
import type { AuthProvider } from './auth';
import { AmoPayloadError } from './errors';
import { DEFAULT_RETRY, send, type HttpContext, type RetryPolicy } from './http';
import { joinAccount } from './limiter';
import { parseJson, readPage, validateEntity } from './payload';
import { encodeQuery } from './query';

export const DEFAULT_RPS = 6;
/** amoCRM's documented per-integration limit. */
export const MAX_RPS = 7;

export interface AmoClientOptions {
  /** The account's own host, e.g. https://mycompany.amocrm.ru (any path is ignored). */
  baseUrl: string;
  auth: AuthProvider;
  /** Requests per second for the whole account in this process: default 6, at most 7; 0 disables the limiter (benchmarks only). */
  rps?: number;
  /** Retries of one request after 429, 5xx or a network error (default 5). */
  maxRetries?: number;
  /** Per-request timeout for headers and body, ms (default 30 000). */
  timeoutMs?: number;
  /** Back-off bases (tests shorten the 5xx one; the 429 one stays at >= 1 s against amoCRM). */
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /** HTTP dispatcher (default: a keep-alive undici Agent owned and closed by the client). */
  dispatcher?: Dispatcher;
}

export type AmoClient = AmoApi & { close(): Promise<void> };

/** Accepts "/leads" as well as "/api/v4/leads". */
function apiPath(path: string): string {
  const p = path.startsWith('/') ? path : `/${path}`;
  return p.startsWith('/api/') ? p : `/api/v4${p}`;
}

/** "lead" for /api/v4/leads/9, "account" for /api/v4/account: names a single resource in errors. */
function entityOf(path: string): string {
  const segment = path.split('/').filter((s) => s && !/^\d+$/.test(s)).pop() ?? path;
  return segment.replace(/s$/, '');
}

export function createAmoClient(opts: AmoClientOptions): AmoClient {
  const rps = opts.rps ?? DEFAULT_RPS;
  if (!(rps >= 0 && rps <= MAX_RPS)) throw new RangeError(`rps must be between 0 and ${MAX_RPS} (amoCRM allows ${MAX_RPS} requests/second), got ${rps}`);
  const origin = new URL(opts.baseUrl).origin;
  const ownDispatcher = !opts.dispatcher;
  const dispatcher = opts.dispatcher ?? new Agent({ connections: 32, keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
  const account = joinAccount(origin, rps);
  const stats: RequestStats = { requests: 0, throttled: 0, retried: 0 };
  const ctx: HttpContext = {
    dispatcher,
    account: account.state,
    stats,
    timeoutMs: opts.timeoutMs ?? 30_000,
    retry: { ...DEFAULT_RETRY, ...opts.retry, maxRetries: opts.maxRetries ?? DEFAULT_RETRY.maxRetries },
  };

  const urlFor = (path: string, query?: Query) => {
    const qs = encodeQuery(query);
    return `${origin}${apiPath(path)}${qs ? `?${qs}` : ''}`;
  };
  // amoCRM's `_links` are absolute and may name another host (www, a renamed subdomain): keep ours.
  const rebase = (href: string) => {
    const u = new URL(href, origin);
    return `${origin}${u.pathname}${u.search}`;
  };

  return {
    async get<T = unknown>(path: string, query?: Query, schema?: ZodType<T>): Promise<T | null> {
      const p = apiPath(path);
      const res = await send(ctx, { method: 'GET', url: urlFor(path, query), path: p, auth: opts.auth });
      if (res.status === 204) return null;
      const body = parseJson(res.text, `GET ${p}`);
      return schema ? validateEntity(schema, body, entityOf(p), `GET ${p}`) : (body as T);
    },

    async *pages<T>(path: string, query: Query, po: PageOptions<T>): AsyncGenerator<T[], void, undefined> {
      const p = apiPath(path);
      let url = urlFor(path, query);
      const seen = new Set<string>();
      for (let page = 1; ; page++) {
        if (po.signal?.aborted) return;
        seen.add(url);
        const res = await send(ctx, { method: 'GET', url, path: p, auth: opts.auth });
        if (res.status === 204) return;
        const where = `${po.entity} page ${page} of ${p}`;
        const { items, next } = readPage(parseJson(res.text, where), po, where);
        if (items.length) yield items;
        if (!next) return;
        url = rebase(next);
        if (seen.has(url)) throw new AmoPayloadError(`${where}: _links.next points back to an already-read page (${new URL(url).search})`);
      }
    },

    stats: () => ({ ...stats }),

    async close() {
      account.release();
      if (ownDispatcher) await dispatcher.close();
    },
  };
}
