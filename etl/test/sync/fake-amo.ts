import type { AmoApi, PageOptions, Query } from '../../src/amocrm/api';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * A small in-process amoCRM for the leads and tasks lists, following the reference (4.1, 4.4, 3.1):
 * `filter[updated_at][from|to]` (inclusive), `filter[id][]` (an array of ids), `order[updated_at|id]=asc`
 * (tasks: no updated_at order, ids ascending), `page` / `limit` (max 250, more → 50), no next link on the
 * last page, 204 (nothing yielded) for no rows or a page past the end. `with=only_deleted` lists the trash.
 * The data is live: every request filters and sorts anew, and `before` runs just before a request is
 * answered, so a test can change amoCRM between two pages exactly where a walk is most fragile.
 */
export interface FakeLead {
  id: number;
  name: string;
  price: number;
  responsible_user_id: number;
  pipeline_id: number;
  status_id: number;
  created_by: number;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  is_deleted?: boolean;
}

export interface FakeTask {
  id: number;
  responsible_user_id: number;
  entity_id: number;
  entity_type: string;
  task_type_id: number;
  text: string;
  is_completed: boolean;
  complete_till: number;
  created_at: number;
  updated_at: number;
}

export interface FakeRequest {
  n: number;
  path: string;
  query: Query;
  page: number;
}

export const mkLead = (id: number, at: number): FakeLead => ({
  id, name: `L${id}`, price: 1000, responsible_user_id: 1, pipeline_id: 1, status_id: 10, created_by: 1,
  created_at: at - 86400, updated_at: at, closed_at: null,
});

export const mkTask = (id: number, at: number): FakeTask => ({
  id, responsible_user_id: 1, entity_id: 1000 + id, entity_type: 'leads', task_type_id: 1, text: `t${id}`,
  is_completed: false, complete_till: at + 86400, created_at: at, updated_at: at,
});

const num = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : Number(v));

export class FakeAmo implements AmoApi {
  leads = new Map<number, FakeLead>();
  trash = new Map<number, FakeLead>();
  tasks = new Map<number, FakeTask>();
  /** Leads the normal list leaves out although they are alive (a glitch), for the self-healing test. */
  hidden = new Set<number>();
  /** Leads a walk does not meet (they moved while it paged) but a look-up by id finds. */
  hiddenFromWalk = new Set<number>();
  requests: FakeRequest[] = [];
  before?: (r: FakeRequest) => void;

  async get(): Promise<null> {
    return null;
  }

  stats() {
    return { requests: this.requests.length, throttled: 0, retried: 0 };
  }

  /** The requests that asked for specific ids (filter[id]), with those ids. */
  idLookups(path: string): number[][] {
    return this.requests.filter((r) => r.path === path && (r.query.filter as any)?.id !== undefined).map((r) => ((r.query.filter as any).id as unknown[]).map(Number));
  }

  /** The list requests of a walk (no filter[id]). */
  walkRequests(path: string): FakeRequest[] {
    return this.requests.filter((r) => r.path === path && (r.query.filter as any)?.id === undefined);
  }

  private rows(path: string, query: Query): any[] {
    const f = (query.filter ?? {}) as any;
    const from = num(f.updated_at?.from);
    const to = num(f.updated_at?.to);
    const ids = f.id === undefined ? undefined : new Set((Array.isArray(f.id) ? f.id : [f.id]).map(Number));
    const order = (query.order ?? {}) as Record<string, string>;
    let list: any[];
    let byUpdated = false;
    if (path === '/api/v4/leads') {
      const onlyDeleted = String(query.with ?? '').split(',').includes('only_deleted');
      list = onlyDeleted
        ? [...this.trash.values()].map((l) => ({ ...l, is_deleted: true }))
        : [...this.leads.values()].filter((l) => !this.hidden.has(l.id) && (ids !== undefined || !this.hiddenFromWalk.has(l.id)));
      byUpdated = order.updated_at === 'asc';
    } else if (path === '/api/v4/tasks') {
      list = [...this.tasks.values()];
    } else {
      return [];
    }
    list = list.filter((x) => (from === undefined || x.updated_at >= from) && (to === undefined || x.updated_at <= to) && (!ids || ids.has(x.id)));
    return list.sort((a, b) => (byUpdated ? a.updated_at - b.updated_at : 0) || a.id - b.id).map((x) => ({ ...x }));
  }

  async *pages<T>(path: string, query: Query, opts: PageOptions<T>): AsyncGenerator<T[], void, undefined> {
    const asked = Number(query.limit ?? 50);
    const limit = asked >= 1 && asked <= 250 ? asked : 50;
    for (let page = Number(query.page ?? 1); ; page++) {
      if (opts.signal?.aborted) return;
      const req: FakeRequest = { n: this.requests.length + 1, path, query, page };
      this.requests.push(req);
      this.before?.(req);
      const rows = this.rows(path, query);
      const slice = rows.slice((page - 1) * limit, page * limit);
      if (slice.length === 0) return; // 204
      yield slice.map((x) => opts.item.parse(x));
      if (page * limit >= rows.length) return; // no _links.next
    }
  }
}
