import type { ParsedQuery } from './query';

export interface Page {
  page: number;
  limit: number;
}

/** `page` 1-based; `limit` defaults to 50 and a value above the method's max silently falls back to 50. */
export function pageOf(q: ParsedQuery, max: number): Page {
  const num = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN);
  const page = num(q.page);
  const limit = num(q.limit);
  return {
    page: page >= 1 ? page : 1,
    limit: limit >= 1 && limit <= max ? limit : 50,
  };
}

/** The original query string, byte for byte, with only `page` changed (appended when absent). */
export function withPage(rawQuery: string, page: number): string {
  const parts = rawQuery ? rawQuery.split('&').filter(Boolean) : [];
  let found = false;
  const out = parts.map((p) => {
    const key = p.split('=')[0]!;
    let decoded = key;
    try {
      decoded = decodeURIComponent(key);
    } catch {
      /* keep as is */
    }
    if (decoded !== 'page') return p;
    found = true;
    return `page=${page}`;
  });
  if (!found) out.push(`page=${page}`);
  return out.join('&');
}

/** What a page needs from a result: arrays qualify, and so do views that avoid copying 100k rows. */
export interface Rows<T> {
  readonly length: number;
  slice(start: number, end: number): T[];
}

/** Newest-first view of `source[lo, hi)` (an ascending array) without materializing it. */
export function descendingView<T>(source: readonly T[], lo: number, hi: number): Rows<T> {
  return {
    length: Math.max(0, hi - lo),
    slice(start, end) {
      const out: T[] = [];
      for (let i = hi - 1 - start; i >= Math.max(lo, hi - end); i--) out.push(source[i]!);
      return out;
    },
  };
}

export interface ListContext {
  base: string;
  pathname: string;
  rawQuery: string;
  query: ParsedQuery;
}

/**
 * HAL list envelope, or null (= 204, empty body) for no results or a page past the end.
 * `next` is present only when more rows exist after this page.
 */
export function halPage<T>(
  ctx: ListContext,
  key: string,
  rows: Rows<T>,
  max: number,
  toJson: (row: T) => unknown,
  extra: { totals?: boolean } = {},
): Record<string, unknown> | null {
  const { page, limit } = pageOf(ctx.query, max);
  const startAt = (page - 1) * limit;
  const slice = rows.slice(startAt, startAt + limit);
  if (slice.length === 0) return null;
  const href = (n: number) => ({ href: `${ctx.base}${ctx.pathname}?${withPage(ctx.rawQuery, n)}` });
  const links: Record<string, { href: string }> = { self: href(page) };
  if (startAt + limit < rows.length) links.next = href(page + 1);
  if (page > 1) links.prev = href(page - 1);
  const out: Record<string, unknown> = {};
  if (extra.totals) {
    out._total_items = rows.length;
    out._page = page;
    out._page_count = Math.ceil(rows.length / limit);
  } else out._page = page;
  out._links = links;
  out._embedded = { [key]: slice.map(toJson) };
  return out;
}
