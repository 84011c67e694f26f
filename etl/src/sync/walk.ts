import type { ZodType } from 'zod';
import type { AmoApi, Query } from '../amocrm/api';
import { log } from '../log';
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

/**
 * Every page of a small reference list, as one page (users, pipelines), or undefined when a stop cut it short: a
 * partial list must not be written, as pipelines' is a set difference (stages it does not hold are deleted).
 */
export async function allItems<T>(api: AmoApi, spec: ListSpec<T>, signal?: AbortSignal): Promise<T[] | undefined> {
  const out: T[] = [];
  const query = { ...spec.query, limit: spec.limit };
  for await (const items of api.pages(spec.path, query, { embedded: spec.embedded, item: spec.item, entity: spec.entity, signal })) {
    out.push(...items);
  }
  return signal?.aborted ? undefined : out;
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

/** Passes over one tied second before a walk stops trying to prove it read all of it (an unstable server order). */
export const MAX_TIE_PASSES = 5;

/**
 * Keyset walk by a time field in ascending order (leads, trash, notes): each request asks for
 * `field >= highest value seen` from page 1, so rows that move while we walk are never skipped. If the server
 * ignores the filter or the order (3.3 of the reference), the walk degrades to plain paging and keeps only rows
 * inside the window.
 *
 * A tie — a full page whose rows all share the window's first second (a batch edit or an import stamps hundreds
 * of rows with one second) — can only be paged by page number, and a tied row edited meanwhile leaves the tie and
 * shifts the rest up: the row that slides across a page boundary is never read. So the tied second is walked in
 * passes (page 1, 2, … until a page reaches past it) and walked again until a pass re-reads every id of the
 * pass before it: then no row read in that earlier pass left the second while it was paged, so nothing slid past
 * it unread (a row that left is read later, at its new updated_at). Every pass's rows are yielded.
 */
export async function* ascendingWalk<T extends { id: number; updated_at: number }>(
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
  let tie: { at: number; passes: number; ids: Set<number>; before?: Set<number> } | undefined;
  let low: number | undefined;
  let held = false;
  for (;;) {
    if (ctx.signal?.aborted) return;
    const query: Query = { ...mergeFilter(spec.query, { updated_at: { from } }), order: { updated_at: 'asc' }, limit: spec.limit, page };
    const items = await firstPage(ctx.api, spec, query, ctx.signal);
    // No answer because of a stop (not an empty list): the committed state stays as the last page left it.
    if (ctx.signal?.aborted && items.length === 0) return;
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
    // A full walk's bound is 1970: measured from there the first page would read ~98 %. Its first row is where it starts.
    if (low === undefined && items.length > 0) low = Math.max(from, items[0]!.updated_at);
    // Unordered pages say nothing about what is still to come: the cursor may only move once the walk is over.
    // While a tie is being proven the cursor stays at the tied second: a run stopped before the proof walks it again.
    const cursor = unfiltered ? committed : tie?.at === from ? Math.min(maxSeen ?? from, from) : maxSeen;
    held = cursor !== maxSeen;
    yield { items: kept, state: { maxSeen: cursor } satisfies AscendingState, progress: progressOf(low ?? start, maxSeen ?? start, ctx.wallNow) };
    const full = items.length >= spec.limit;
    if (unfiltered) {
      tie = undefined;
      if (!full) break;
      page++;
      continue;
    }
    if (full && pageMax === from) {
      // The whole page is the window's first second: page on through the tie.
      if (tie?.at !== from) tie = { at: from, passes: 1, ids: new Set() };
      for (const it of items) tie.ids.add(it.id);
      page++;
      continue;
    }
    if (tie?.at === from) {
      // This page ends a pass over the tie (it reaches past the tied second, or the list ends).
      for (const it of items) if (it.updated_at === from) tie.ids.add(it.id);
      const before = tie.before;
      const complete = before !== undefined && [...before].every((id) => tie!.ids.has(id));
      if (!complete && tie.passes < MAX_TIE_PASSES) {
        tie = { at: from, passes: tie.passes + 1, ids: new Set(), before: tie.ids };
        page = 1;
        continue;
      }
      if (!complete) log().warn({ entity: spec.entity, second: from, passes: tie.passes }, 'rows sharing one updated_at second kept changing while paged: some may be read only by the next run');
      tie = undefined;
    }
    if (!full) break;
    from = pageMax;
    page = 1;
  }
  // The walk is over: a cursor held back (unordered pages, a tie ending the list) moves to what was seen.
  if (unfiltered || held) yield { items: [], state: { maxSeen } satisfies AscendingState, progress: 1 };
}

export interface IdOrderState {
  maxSeen?: number;
  /**
   * A walk in progress: its lower bound, the offset and id of the last row read, the highest updated_at seen so
   * far and when it began (the worker's wall clock, Unix s). `page` (the next page number) is what earlier
   * versions stored instead of `last`/`lastId`; a walk stored so is walked again from its first page: without the
   * last id read, resuming at that page would skip the rows that slid back across its edge as rows were deleted.
   */
  walk?: { from: number; last?: number; lastId?: number; page?: number; top?: number; start?: number };
}

/** At most this many rows of the page before are read again by each page of the tasks walk (see idOrderWalk). */
export const MAX_OVERLAP = 50;

/**
 * Where the page after the row at offset `last` is asked for: amoCRM pages by number, so a page starts at a
 * multiple of its limit only. The largest limit (down to half of `max`) with a multiple at or before `last` and
 * within MAX_OVERLAP rows of it; otherwise a whole page's worth of overlap at `max`.
 */
export function overlappingPage(last: number, max: number): { page: number; limit: number; start: number } {
  for (let limit = max; limit >= Math.ceil(max / 2); limit--) {
    const m = Math.floor(last / limit);
    if (m >= 1 && m * limit > last - MAX_OVERLAP) return { page: m + 1, limit, start: m * limit };
  }
  const m = Math.floor(last / max);
  return { page: m + 1, limit: max, start: m * max };
}

/** Steps back before a page that begins past the last row read is accepted as it is (a server ignoring the order). */
const MAX_STEPS_BACK = 8;

/**
 * Tasks: filter by updated_at but ordered by id (amoCRM cannot sort tasks by updated_at, nor filter them by an
 * id range). With an open upper bound a task edited mid-walk keeps its place and new ones append at the end, but
 * a task deleted before the walk's position shifts the rest up by one, and paged by number the row that slides
 * across the boundary would never be read. So every page starts at or before the last row read (overlapping
 * pages: see overlappingPage) and must begin with an id not above the last id read; one that begins past it
 * (rows were deleted meanwhile) is asked for again further back. Rows read already are not yielded twice.
 *
 * A task on a page already read that changes while the walk goes on (or while a stopped walk waits to be
 * resumed) is behind the walk, and the highest updated_at the walk sees may be far past it. So the walk ends
 * with maxSeen = min(highest updated_at seen, walk start − overlap): the next run re-reads everything changed
 * since the walk began. The start is the worker's wall clock (ReadContext.wallNow), which only ever holds the
 * data-derived cursor back, never moves it forward; a resumed walk keeps the start of the walk it resumes.
 */
export async function* idOrderWalk<T extends { id: number; updated_at: number }>(
  ctx: ReadContext,
  spec: ListSpec<T>,
  state: IdOrderState | undefined,
): AsyncGenerator<StreamPage<T>, void, undefined> {
  const prev = ctx.mode === 'full' ? undefined : state;
  const from = prev?.walk?.from ?? startOf(prev?.maxSeen);
  // A walk stored before its start was recorded: assume it began at its lower bound (re-reads more, skips nothing).
  const start = prev?.walk ? (prev.walk.start ?? prev.walk.from) : ctx.wallNow;
  let top = prev?.walk?.top ?? prev?.maxSeen;
  let lastId = prev?.walk?.lastId;
  let last = lastId !== undefined ? (prev?.walk?.last ?? -1) : -1;
  const base: Query = { ...mergeFilter(spec.query, { updated_at: { from } }), order: { id: 'asc' } };
  let stepsBack = 0;
  for (;;) {
    if (ctx.signal?.aborted) return;
    const at = last < 0 ? { page: 1, limit: spec.limit, start: 0 } : overlappingPage(last, spec.limit);
    const items = await firstPage(ctx.api, spec, { ...base, limit: at.limit, page: at.page }, ctx.signal);
    if (ctx.signal?.aborted && items.length === 0) return;
    const joins = at.start === 0 || lastId === undefined || (items.length > 0 && items[0]!.id <= lastId);
    if (!joins && stepsBack < MAX_STEPS_BACK) {
      // Rows before `start` were deleted since the last page: the rows after lastId now begin further up.
      last = Math.max(-1, at.start - 1 - spec.limit * 2 ** stepsBack);
      stepsBack++;
      continue;
    }
    stepsBack = 0;
    const known = lastId;
    const kept = items.filter((it) => it.updated_at >= from && (known === undefined || it.id > known));
    for (const it of kept) if (top == null || it.updated_at > top) top = it.updated_at;
    if (items.length > 0) {
      last = at.start + items.length - 1;
      lastId = Math.max(lastId ?? -Infinity, items[items.length - 1]!.id);
    }
    yield { items: kept, state: { maxSeen: prev?.maxSeen, walk: { from, last, lastId, top, start } } satisfies IdOrderState };
    if (ctx.signal?.aborted) return;
    // A page that starts at or before the last row read is short only at the end of the list.
    if (items.length < at.limit) break;
  }
  const maxSeen = top == null ? undefined : Math.min(top, start - OVERLAP_SECONDS);
  yield { items: [], state: { maxSeen } satisfies IdOrderState, progress: 1 };
}

/** Ids per `filter[id][]` look-up: one page of the list's limit (250, reference 3.1), so each answer is one page. */
export const LOOKUP_BATCH = 250;

/**
 * Of these ids, the ones amoCRM no longer lists: `GET <list>?filter[id][]=…&limit=250`, 250 ids a request
 * (reference 4.1 / 4.4). An id in an answer is alive unless `alive` says otherwise. An answer holding an id we
 * did not ask for means the filter was ignored (reference 3.3): that batch proves nothing and its ids are kept,
 * as are the ids not looked up because of an abort. Set differences use it before deleting anything: a walk over
 * live data can miss a row, so "not seen" only makes a candidate.
 */
export async function unlisted<T extends { id: number }>(
  ctx: ReadContext,
  spec: ListSpec<T> & { alive?: (item: T) => boolean },
  ids: readonly number[],
): Promise<number[]> {
  const gone: number[] = [];
  for (let i = 0; i < ids.length; i += LOOKUP_BATCH) {
    if (ctx.signal?.aborted) break;
    const batch = ids.slice(i, i + LOOKUP_BATCH);
    const asked = new Set(batch);
    const listed = new Set<number>();
    let ignored = false;
    const query: Query = { ...mergeFilter(spec.query, { id: batch }), limit: LOOKUP_BATCH };
    for await (const items of ctx.api.pages(spec.path, query, { embedded: spec.embedded, item: spec.item, entity: spec.entity, signal: ctx.signal })) {
      for (const it of items) {
        if (!asked.has(it.id)) ignored = true;
        else if (!spec.alive || spec.alive(it)) listed.add(it.id);
      }
      if (ignored) break;
    }
    if (ctx.signal?.aborted) break;
    if (ignored) {
      log().warn({ entity: spec.entity, ids: batch.length }, `amoCRM ignored filter[id] on ${spec.path}: these ${spec.entity}s cannot be confirmed deleted and are kept`);
      continue;
    }
    for (const id of batch) if (!listed.has(id)) gone.push(id);
  }
  return gone;
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
    // Newest first: the share of [low, first] read so far. A full walk's own bound is 1970, which would keep the bar
    // near 0 until it jumps to 100 %; the stored leads' oldest creation is where the history really begins.
    const low = from > 0 ? from : ctx.oldestHint;
    const progress = low != null && first != null && to != null ? progressOf(low, first - to + low, first) : undefined;
    yield { items: kept, state: { maxSeen: prev?.maxSeen, walk: { from, to, top } } satisfies DescendingState, progress };
  }
  // pages() ends without an error at a stop, before its next request: not the end of the list (see idOrderWalk).
  if (ctx.signal?.aborted) return;
  const closed = ctx.wallNow - EVENT_LAG_SECONDS;
  const maxSeen = top == null ? undefined : Math.min(top, Math.max(closed, prev?.maxSeen ?? 0));
  yield { items: [], state: { maxSeen } satisfies DescendingState, progress: 1 };
}
