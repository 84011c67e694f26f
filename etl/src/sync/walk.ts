import type { ZodType } from 'zod';
import type { AmoApi, Query } from '../amocrm/api';
import type { ReadContext, StreamPage } from './types';

/**
 * The shared walking mechanics. amoCRM pages over live data are unstable and filters can be silently
 * ignored, so every walker re-checks each item against its window and carries a resumable cursor that
 * is derived from the data it saw, never from the clock.
 */

/** How far back each run re-reads before its cursor (backdated writes, clock skew, late arrivals). */
export const OVERLAP_SECONDS = 600;
/** Events newer than this are re-read on the next run: their window is not closed yet. */
export const EVENT_LAG_SECONDS = 180;

export interface ListSpec<T> {
  path: string;
  embedded: string;
  entity: string;
  item: ZodType<T>;
  limit: number;
  query?: Query;
}

/** One request: the first page of a list (204 → []). Closing the generator stops it from following next. */
export async function firstPage<T>(api: AmoApi, spec: ListSpec<T>, query: Query, signal?: AbortSignal): Promise<T[]> {
  const it = api.pages(spec.path, query, { embedded: spec.embedded, item: spec.item, entity: spec.entity, signal });
  try {
    const r = await it.next();
    return r.done ? [] : r.value;
  } finally {
    await it.return(undefined);
  }
}

/** Every page of a small reference list, as one page (users, pipelines). */
export async function allItems<T>(api: AmoApi, spec: ListSpec<T>, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  const query = { ...spec.query, limit: spec.limit };
  for await (const items of api.pages(spec.path, query, { embedded: spec.embedded, item: spec.item, entity: spec.entity, signal })) {
    out.push(...items);
  }
  return out;
}

function mergeFilter(query: Query | undefined, extra: Record<string, unknown>): Query {
  const base = (query?.filter ?? {}) as Record<string, unknown>;
  return { ...query, filter: { ...base, ...extra } as Query[string] };
}

const startOf = (maxSeen: number | undefined) => (maxSeen == null ? 0 : Math.max(0, maxSeen - OVERLAP_SECONDS));
const progressOf = (from: number, at: number, end: number) => (end > from ? Math.min(1, Math.max(0, (at - from) / (end - from))) : undefined);

export interface AscendingState {
  maxSeen?: number;
}

/**
 * Keyset walk by a time field in ascending order (leads, trash, notes): each request asks for
 * `field >= highest value seen` from page 1, so rows that move while we walk are never skipped; a page made
 * entirely of one second's rows falls back to the next page number. If the server ignores the filter or the
 * order (3.3 of the reference), the walk degrades to plain paging and keeps only rows inside the window.
 */
export async function* ascendingWalk<T extends { updated_at: number }>(
  ctx: ReadContext,
  spec: ListSpec<T> & { accept?: (item: T) => boolean },
  state: AscendingState | undefined,
): AsyncGenerator<StreamPage<T>, void, undefined> {
  const start = ctx.mode === 'full' ? 0 : startOf(state?.maxSeen);
  const committed = ctx.mode === 'full' ? undefined : state?.maxSeen;
  let maxSeen = committed;
  let from = start;
  let page = 1;
  let unfiltered = false;
  for (;;) {
    if (ctx.signal?.aborted) return;
    const query: Query = { ...mergeFilter(spec.query, { updated_at: { from } }), order: { updated_at: 'asc' }, limit: spec.limit, page };
    const items = await firstPage(ctx.api, spec, query, ctx.signal);
    let sorted = true;
    let pageMax = -1;
    const kept: T[] = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i > 0 && it.updated_at < items[i - 1]!.updated_at) sorted = false;
      if (it.updated_at < from) continue;
      if (it.updated_at > pageMax) pageMax = it.updated_at;
      if (!spec.accept || spec.accept(it)) kept.push(it);
    }
    // Rows outside the window or out of order: the server did not apply our filter/order.
    if (!sorted || items.some((it) => it.updated_at < from)) unfiltered = true;
    if (pageMax >= 0) maxSeen = Math.max(maxSeen ?? pageMax, pageMax);
    // Unordered pages say nothing about what is still to come: the cursor may only move once the walk is over.
    const cursor = unfiltered ? committed : maxSeen;
    yield { items: kept, state: { maxSeen: cursor } satisfies AscendingState, progress: progressOf(start, maxSeen ?? start, ctx.wallNow) };
    if (items.length < spec.limit) break;
    if (!unfiltered && pageMax > from) {
      from = pageMax;
      page = 1;
    } else {
      page++;
    }
  }
  if (unfiltered) yield { items: [], state: { maxSeen } satisfies AscendingState, progress: 1 };
}

export interface IdOrderState {
  maxSeen?: number;
  /**
   * A walk in progress: its lower bound, the next page number, the highest updated_at seen so far and when it
   * began (the worker's wall clock, Unix s).
   */
  walk?: { from: number; page: number; top?: number; start?: number };
}

/**
 * Tasks: filter by updated_at but ordered by id (amoCRM cannot sort tasks by updated_at). With an open
 * upper bound a task edited mid-walk keeps its place, new ones append at the end, so page numbers are usable;
 * the cursor is committed as "page N of the walk from F".
 *
 * A task on a page already read that changes while the walk goes on (or while a stopped walk waits to be
 * resumed) is behind the walk, and the highest updated_at the walk sees may be far past it. So the walk ends
 * with maxSeen = min(highest updated_at seen, walk start − overlap): the next run re-reads everything changed
 * since the walk began. The start is the worker's wall clock (ReadContext.wallNow), which only ever holds the
 * data-derived cursor back, never moves it forward; a resumed walk keeps the start of the walk it resumes.
 */
export async function* idOrderWalk<T extends { updated_at: number }>(
  ctx: ReadContext,
  spec: ListSpec<T>,
  state: IdOrderState | undefined,
): AsyncGenerator<StreamPage<T>, void, undefined> {
  const prev = ctx.mode === 'full' ? undefined : state;
  const from = prev?.walk?.from ?? startOf(prev?.maxSeen);
  // A walk stored before its start was recorded: assume it began at its lower bound (re-reads more, skips nothing).
  const start = prev?.walk ? (prev.walk.start ?? prev.walk.from) : ctx.wallNow;
  let page = prev?.walk?.page ?? 1;
  let top = prev?.walk?.top ?? prev?.maxSeen;
  const query: Query = { ...mergeFilter(spec.query, { updated_at: { from } }), order: { id: 'asc' }, limit: spec.limit, page };
  const pages = ctx.api.pages(spec.path, query, { embedded: spec.embedded, item: spec.item, entity: spec.entity, signal: ctx.signal });
  for await (const items of pages) {
    const kept = items.filter((it) => it.updated_at >= from);
    for (const it of kept) if (top == null || it.updated_at > top) top = it.updated_at;
    page++;
    yield { items: kept, state: { maxSeen: prev?.maxSeen, walk: { from, page, top, start } } satisfies IdOrderState };
    if (ctx.signal?.aborted) return;
  }
  const maxSeen = top == null ? undefined : Math.min(top, start - OVERLAP_SECONDS);
  yield { items: [], state: { maxSeen } satisfies IdOrderState, progress: 1 };
}

export interface DescendingState {
  maxSeen?: number;
  /** A walk in progress over [from, to] (to = oldest created_at already stored; inclusive, re-read ties). */
  walk?: { from: number; to?: number; top?: number };
}

/**
 * Events: amoCRM lists them newest first with no order parameter. The walk covers [cursor − overlap, now]
 * and commits after each page "everything newer than `to` is stored", so a killed process resumes with
 * `created_at <= to`. Only when the walk completes does the cursor advance — to the newest created_at seen,
 * capped at a window closed EVENT_LAG_SECONDS ago so late-arriving events are read again.
 */
export async function* descendingWalk<T extends { created_at: number }>(
  ctx: ReadContext,
  spec: ListSpec<T> & { accept?: (item: T) => boolean },
  state: DescendingState | undefined,
): AsyncGenerator<StreamPage<T>, void, undefined> {
  const prev = ctx.mode === 'full' ? undefined : state;
  const from = prev?.walk?.from ?? startOf(prev?.maxSeen);
  let to = prev?.walk?.to;
  let top = prev?.walk?.top ?? prev?.maxSeen;
  const range: Record<string, number> = { from };
  if (to != null) range.to = to;
  const query: Query = { ...mergeFilter(spec.query, { created_at: range }), limit: spec.limit };
  const pages = ctx.api.pages(spec.path, query, { embedded: spec.embedded, item: spec.item, entity: spec.entity, signal: ctx.signal });
  let first: number | undefined;
  for await (const items of pages) {
    const upper = to;
    const kept = items.filter((it) => it.created_at >= from && (upper == null || it.created_at <= upper) && (!spec.accept || spec.accept(it)));
    for (const it of kept) {
      if (top == null || it.created_at > top) top = it.created_at;
      if (to == null || it.created_at < to) to = it.created_at;
    }
    first ??= top;
    const progress = first != null && to != null ? progressOf(from, first - to + from, first) : undefined;
    yield { items: kept, state: { maxSeen: prev?.maxSeen, walk: { from, to, top } } satisfies DescendingState, progress };
    if (ctx.signal?.aborted) return;
  }
  const closed = ctx.wallNow - EVENT_LAG_SECONDS;
  const maxSeen = top == null ? undefined : Math.min(top, Math.max(closed, prev?.maxSeen ?? 0));
  yield { items: [], state: { maxSeen } satisfies DescendingState, progress: 1 };
}
