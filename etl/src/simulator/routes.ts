import type { ZoneClock } from './clock';
import { descendingView, halPage, type ListContext, type Rows } from './paging';
import { child, inRange, intSet, range, stringList, type ParsedQuery, type QueryValue } from './query';
import { accountJson, eventJson, leadJson, noteJson, pipelineJson, taskJson, userJson } from './serialize';
import type { Store } from './store';
import type { EventRec, LeadRec, NoteParent, NoteRec, TaskRec } from './types';

export type ApiResult =
  | { status: 200; json: unknown }
  | { status: 204 }
  | { status: 400 | 404 | 405; detail: string };

const MAX_LIMIT = 250;
const EVENTS_MAX_LIMIT = 100;

/**
 * Filtered+sorted row lists keyed by (path, query without page/limit), valid for one store version:
 * a sync paging through 100k events filters and sorts once, not once per page.
 */
class QueryCache {
  private version = -1;
  private readonly entries = new Map<string, Rows<unknown>>();

  get<T>(version: number, key: string, compute: () => Rows<T>): Rows<T> {
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
    let rows = this.entries.get(key) as Rows<T> | undefined;
    if (!rows) {
      rows = compute();
      if (this.entries.size >= 64) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, rows);
    }
    return rows;
  }
}

function cacheKey(pathname: string, q: ParsedQuery): string {
  const { page: _p, limit: _l, ...rest } = q;
  return `${pathname}?${JSON.stringify(rest)}`;
}

/** `order[field]=asc|desc` restricted to the fields the method supports; anything else is ignored. */
function orderOf(q: ParsedQuery, allowed: readonly string[]): { field: string; desc: boolean } | undefined {
  const o = q.order;
  if (typeof o !== 'object' || Array.isArray(o)) return undefined;
  for (const [field, dir] of Object.entries(o)) {
    if (allowed.includes(field) && typeof dir === 'string' && /^(asc|desc)$/i.test(dir)) return { field, desc: dir.toLowerCase() === 'desc' };
  }
  return undefined;
}

function sortBy<T extends { id: number }>(rows: T[], order: { field: string; desc: boolean } | undefined, value: (r: T, f: string) => number): T[] {
  const field = order?.field ?? 'id';
  const sign = order?.desc ? -1 : 1;
  return rows.sort((a, b) => sign * (value(a, field) - value(b, field)) || sign * (a.id - b.id));
}

const has = (set: Set<number> | undefined, v: number | null) => !set || (v !== null && set.has(v));

export class Api {
  private readonly cache = new QueryCache();

  constructor(
    private readonly store: Store,
    private readonly clock: ZoneClock,
    private readonly now: () => number,
  ) {}

  handle(method: string, ctx: ListContext): ApiResult {
    if (method !== 'GET') return { status: 405, detail: `Method ${method} is not supported by the simulator` };
    const p = ctx.pathname.replace(/\/+$/, '');
    const q = ctx.query;
    const withs = new Set(stringList(q.with));
    const s = this.store;
    const acc = s.account.id;
    const ok = (json: unknown): ApiResult => (json === null ? { status: 204 } : { status: 200, json });
    let m: RegExpExecArray | null;

    if (p === '/api/v4/account') return ok(accountJson(s, this.clock, ctx.base, withs, this.now()));
    if (p === '/api/v4/users') {
      return ok(halPage(ctx, 'users', [...s.users].sort((a, b) => a.id - b.id), MAX_LIMIT, (u) => userJson(u, ctx.base), { totals: true }));
    }
    if ((m = /^\/api\/v4\/users\/(\d+)$/.exec(p))) {
      const u = s.user(Number(m[1]));
      return u ? ok(userJson(u, ctx.base)) : notFound();
    }
    if (p === '/api/v4/leads/pipelines') {
      return ok({
        _total_items: s.pipelines.length,
        _links: { self: { href: `${ctx.base}/api/v4/leads/pipelines` } },
        _embedded: { pipelines: s.pipelines.map((x) => pipelineJson(x, acc, ctx.base)) },
      });
    }
    if ((m = /^\/api\/v4\/leads\/pipelines\/(\d+)$/.exec(p))) {
      const pl = s.pipelines.find((x) => x.id === Number(m![1]));
      return pl ? ok(pipelineJson(pl, acc, ctx.base)) : notFound();
    }
    if ((m = /^\/api\/v4\/leads\/pipelines\/(\d+)\/statuses$/.exec(p))) {
      const pl = s.pipelines.find((x) => x.id === Number(m![1]));
      if (!pl) return notFound();
      const json = pipelineJson(pl, acc, ctx.base) as { _embedded: { statuses: unknown[] } };
      return ok({ _total_items: pl.statuses.length, _links: { self: { href: `${ctx.base}${p}` } }, _embedded: { statuses: json._embedded.statuses } });
    }
    if (p === '/api/v4/leads/loss_reasons') {
      return ok(
        halPage(ctx, 'loss_reasons', s.lossReasons, MAX_LIMIT, (r) => ({
          id: r.id, name: r.name, sort: r.sort, created_at: r.createdAt, updated_at: r.createdAt,
          _links: { self: { href: `${ctx.base}/api/v4/leads/loss_reasons/${r.id}` } },
        })),
      );
    }
    if (p === '/api/v4/leads') {
      const rows = this.cache.get(s.version, cacheKey(p, q), () => this.filterLeads(q, withs.has('only_deleted')));
      return ok(halPage(ctx, 'leads', rows, MAX_LIMIT, (l) => leadJson(s, l, ctx.base, withs)));
    }
    if ((m = /^\/api\/v4\/leads\/(\d+)$/.exec(p))) {
      const l = s.leads.get(Number(m[1]));
      if (!l) return notFound();
      // deleted leads answer 204, like an empty list (reference §5.1 step 3)
      return l.state === 'active' ? ok(leadJson(s, l, ctx.base, withs)) : { status: 204 };
    }
    if (p === '/api/v4/tasks') {
      const rows = this.cache.get(s.version, cacheKey(p, q), () => this.filterTasks(q));
      return ok(halPage(ctx, 'tasks', rows, MAX_LIMIT, (t) => taskJson(t, acc, ctx.base)));
    }
    if ((m = /^\/api\/v4\/tasks\/(\d+)$/.exec(p))) {
      const t = s.tasks.get(Number(m[1]));
      return t ? ok(taskJson(t, acc, ctx.base)) : notFound();
    }
    if ((m = /^\/api\/v4\/(leads|contacts)\/notes$/.exec(p))) {
      const parent = m[1] as NoteParent;
      const rows = this.cache.get(s.version, cacheKey(p, q), () => this.filterNotes(parent, q));
      return ok(halPage(ctx, 'notes', rows, MAX_LIMIT, (n) => noteJson(n, acc, ctx.base)));
    }
    if ((m = /^\/api\/v4\/(leads|contacts)\/(\d+)\/notes$/.exec(p))) {
      const parent = m[1] as NoteParent;
      const entityId = m[2]!;
      const scoped = { ...q, filter: { ...(typeof q.filter === 'object' && !Array.isArray(q.filter) ? q.filter : {}), entity_id: entityId } };
      const rows = this.cache.get(s.version, cacheKey(p, q), () => this.filterNotes(parent, scoped));
      return ok(halPage(ctx, 'notes', rows, MAX_LIMIT, (n) => noteJson(n, acc, ctx.base)));
    }
    if ((m = /^\/api\/v4\/(leads|contacts)\/(?:\d+\/)?notes\/(\d+)$/.exec(p))) {
      const n = s.notes[m[1] as NoteParent].get(Number(m[2]));
      return n ? ok(noteJson(n, acc, ctx.base)) : notFound();
    }
    if (p === '/api/v4/events') {
      const rows = this.cache.get(s.version, cacheKey(p, q), () => this.filterEvents(q));
      return ok(halPage(ctx, 'events', rows, EVENTS_MAX_LIMIT, (e) => eventJson(e, acc, ctx.base)));
    }
    if ((m = /^\/api\/v4\/events\/([0-9a-z]+)$/.exec(p))) {
      const e = s.event(m[1]!);
      return e ? ok(eventJson(e, acc, ctx.base)) : notFound();
    }
    return notFound();
  }

  private filterLeads(q: ParsedQuery, onlyDeleted: boolean): LeadRec[] {
    const f = q.filter;
    const ids = intSet(child(f, 'id'));
    const responsible = intSet(child(f, 'responsible_user_id'));
    const pipelines = intSet(child(f, 'pipeline_id'));
    const createdBy = intSet(child(f, 'created_by'));
    const updatedBy = intSet(child(f, 'updated_by'));
    const created = range(child(f, 'created_at'));
    const updated = range(child(f, 'updated_at'));
    const closed = range(child(f, 'closed_at'));
    const price = priceRange(child(f, 'price'));
    const stages = stagePairs(child(f, 'statuses'));
    const text = typeof q.query === 'string' && q.query.trim() !== '' ? q.query.trim().toLowerCase() : undefined;
    const rows: LeadRec[] = [];
    for (const l of this.store.leads.values()) {
      if (onlyDeleted ? l.state !== 'trash' : l.state !== 'active') continue;
      if (!has(ids, l.id) || !has(responsible, l.responsibleUserId) || !has(pipelines, l.pipelineId)) continue;
      if (!has(createdBy, l.createdBy) || !has(updatedBy, l.updatedBy)) continue;
      if (!inRange(l.createdAt, created) || !inRange(l.updatedAt, updated) || !inRange(l.closedAt, closed) || !inRange(l.price, price)) continue;
      if (stages && !stages.some((st) => st.pipelineId === l.pipelineId && (st.statusId === undefined || st.statusId === l.statusId))) continue;
      if (text && !l.name.toLowerCase().includes(text) && String(l.id) !== text) continue;
      rows.push(l);
    }
    const field = { created_at: 'createdAt', updated_at: 'updatedAt', id: 'id' } as const;
    return sortBy(rows, orderOf(q, Object.keys(field)), (l, fld) => l[field[fld as keyof typeof field]]);
  }

  private filterTasks(q: ParsedQuery): TaskRec[] {
    const f = q.filter;
    const ids = intSet(child(f, 'id'));
    const responsible = intSet(child(f, 'responsible_user_id'));
    const types = intSet(child(f, 'task_type') ?? child(f, 'task_type_id'));
    const entityTypes = new Set(stringList(child(f, 'entity_type')));
    // entity_id only means something together with entity_type
    const entityIds = entityTypes.size > 0 ? intSet(child(f, 'entity_id')) : undefined;
    const completedRaw = child(f, 'is_completed');
    const completed = typeof completedRaw === 'string' && /^[01]$/.test(completedRaw) ? completedRaw === '1' : undefined;
    const updated = range(child(f, 'updated_at'));
    const rows: TaskRec[] = [];
    for (const t of this.store.tasks.values()) {
      if (!has(ids, t.id) || !has(responsible, t.responsibleUserId) || !has(types, t.taskTypeId)) continue;
      if (entityTypes.size > 0 && (t.entityType === null || !entityTypes.has(t.entityType))) continue;
      if (!has(entityIds, t.entityId)) continue;
      if (completed !== undefined && t.isCompleted !== completed) continue;
      if (!inRange(t.updatedAt, updated)) continue;
      rows.push(t);
    }
    // no updated_at sort for tasks (reference §4.4): order[updated_at] is ignored
    const field = { created_at: 'createdAt', complete_till: 'completeTill', id: 'id' } as const;
    return sortBy(rows, orderOf(q, Object.keys(field)), (t, fld) => t[field[fld as keyof typeof field]]);
  }

  private filterNotes(parent: NoteParent, q: ParsedQuery): NoteRec[] {
    const f = q.filter;
    const ids = intSet(child(f, 'id'));
    const entityIds = intSet(child(f, 'entity_id'));
    const types = child(f, 'note_type') === undefined ? undefined : new Set(stringList(child(f, 'note_type')));
    const updated = range(child(f, 'updated_at'));
    const rows: NoteRec[] = [];
    for (const n of this.store.notes[parent].values()) {
      if (!has(ids, n.id) || !has(entityIds, n.entityId)) continue;
      if (types && !types.has(n.noteType)) continue;
      if (!inRange(n.updatedAt, updated)) continue;
      rows.push(n);
    }
    const field = { updated_at: 'updatedAt', id: 'id' } as const;
    return sortBy(rows, orderOf(q, Object.keys(field)), (n, fld) => n[field[fld as keyof typeof field]]);
  }

  private filterEvents(q: ParsedQuery): Rows<EventRec> {
    const f = q.filter;
    const types = child(f, 'type') === undefined ? undefined : new Set(stringList(child(f, 'type')));
    const entities = child(f, 'entity') === undefined ? undefined : new Set(stringList(child(f, 'entity')));
    // entity_id is honoured only with exactly one entity (reference §3.3)
    const entityIds = entities?.size === 1 ? intSet(child(f, 'entity_id')) : undefined;
    const ids = child(f, 'id') === undefined ? undefined : new Set(stringList(child(f, 'id')));
    const createdBy = intSet(child(f, 'created_by'));
    const created = range(child(f, 'created_at'));
    const afterStage = stagePairs(child(child(f, 'value_after'), 'leads_statuses'));
    const beforeStage = stagePairs(child(child(f, 'value_before'), 'leads_statuses'));
    const all = this.store.eventsAsc();
    // events are sorted by created_at: binary-search the window instead of scanning everything
    const lo = created?.from === undefined ? 0 : lowerBound(all, created.from);
    const hi = created?.to === undefined ? all.length : lowerBound(all, created.to + 1);
    if (!types && !entities && !ids && !createdBy && !afterStage && !beforeStage) return descendingView(all, lo, hi);
    const rows: EventRec[] = [];
    for (let i = hi - 1; i >= lo; i--) {
      const e = all[i]!;
      if (types && !types.has(e.type)) continue;
      if (entities && !entities.has(e.entityType)) continue;
      if (!has(entityIds, e.entityId) || !has(createdBy, e.createdBy)) continue;
      if (ids && !ids.has(e.id)) continue;
      if (afterStage && !matchesStage(e.valueAfter, afterStage)) continue;
      if (beforeStage && !matchesStage(e.valueBefore, beforeStage)) continue;
      rows.push(e); // newest first
    }
    return rows;
  }
}

function notFound(): ApiResult {
  return { status: 404, detail: 'Not found' };
}

function lowerBound(events: readonly EventRec[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.createdAt < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function priceRange(v: QueryValue | undefined) {
  if (typeof v === 'string' && /^\d+$/.test(v)) return { from: Number(v), to: Number(v) };
  return range(v);
}

interface StagePair {
  pipelineId: number;
  statusId?: number;
}

/** `x[0][pipeline_id]=P&x[0][status_id]=S` pairs. */
function stagePairs(v: QueryValue | undefined): StagePair[] | undefined {
  if (v === undefined || typeof v !== 'object') return undefined;
  const pairs: StagePair[] = [];
  for (const item of Array.isArray(v) ? v : Object.values(v)) {
    const pid = Number(child(item, 'pipeline_id'));
    const sidRaw = child(item, 'status_id');
    if (!Number.isSafeInteger(pid)) continue;
    pairs.push({ pipelineId: pid, statusId: typeof sidRaw === 'string' && /^\d+$/.test(sidRaw) ? Number(sidRaw) : undefined });
  }
  return pairs.length > 0 ? pairs : undefined;
}

function matchesStage(values: unknown[], pairs: StagePair[]): boolean {
  const ls = (values[0] as { lead_status?: { id: number; pipeline_id: number } } | undefined)?.lead_status;
  return !!ls && pairs.some((p) => p.pipelineId === ls.pipeline_id && (p.statusId === undefined || p.statusId === ls.id));
}
