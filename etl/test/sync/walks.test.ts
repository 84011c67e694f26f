import { runSync } from '../../src/sync/engine';
import { allItems, descendingWalk, MAX_OVERLAP, overlappingPage } from '../../src/sync/walk';
import { eventSchema, pipelineSchema } from '../../src/sync/schemas';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { FakeAmo, mkLead, mkTask } from './fake-amo';
import { dropQuietly, testConfig } from './support';
import { saveStateSql } from '../../src/sync/state';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Walks over live data that changes between two pages, against a small amoCRM fake that follows the reference
 * (test/sync/fake-amo.ts), on real Postgres: what a walk misses must be read by the next run, and only what
 * amoCRM really no longer has may be deleted.
 */
describe('walks over live data', () => {
  let t: TestDatabase;
  const config = testConfig();
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => dropQuietly(t));
  beforeEach(async () => {
    await t.db.none('TRUNCATE amo.leads, amo.tasks, app.sync_state, app.sync_runs');
  });

  const sync = (api: FakeAmo, mode: 'full' | 'incremental', stream: string, signal?: AbortSignal) => runSync({ db: t.db, config, api, mode, streams: [stream], signal });
  const task = (id: number) => t.db.oneOrNone('SELECT is_completed, text, extract(epoch FROM updated_at)::bigint AS updated_at FROM amo.tasks WHERE id = $1', [id]);
  const storedLeads = () => t.db.map('SELECT id, price, extract(epoch FROM updated_at)::bigint AS u, deleted_at IS NOT NULL AS deleted FROM amo.leads ORDER BY id', [], (r: any) => [r.id, r.price, r.u, r.deleted]);
  const amoLeads = (api: FakeAmo, deleted: number[] = []) => [...api.leads.values(), ...api.trash.values()].sort((a, b) => a.id - b.id).map((l) => [l.id, l.price, l.updated_at, deleted.includes(l.id)]);

  describe('tasks (paged by id)', () => {
    it('a walk resumed after an abort re-reads what changed on the pages it had already read', async () => {
      const api = new FakeAmo();
      const T0 = now() - 2 * 86400;
      for (let id = 1; id <= 600; id++) api.tasks.set(id, mkTask(id, T0));
      // Run 1 is stopped (deploy, SIGTERM) after its first page: it commits page 1 and the walk's position.
      const ac = new AbortController();
      api.before = (r) => r.n === 1 && ac.abort();
      const w1 = now();
      const r1 = await sync(api, 'incremental', 'tasks', ac.signal);
      expect([r1[0]!.fetched, r1[0]!.error]).toEqual([250, 'aborted: stopped after the last committed page']);
      api.before = undefined;
      // While the worker is down: task 5 (page 1, already read) is completed, an hour later task 550 is edited.
      Object.assign(api.tasks.get(5)!, { is_completed: true, updated_at: w1 + 60 });
      Object.assign(api.tasks.get(550)!, { text: 'edited', updated_at: w1 + 3600 });
      expect((await sync(api, 'incremental', 'tasks'))[0]!.error).toBeUndefined();
      expect((await sync(api, 'incremental', 'tasks'))[0]!.error).toBeUndefined();
      expect(await task(550)).toEqual({ is_completed: false, text: 'edited', updated_at: w1 + 3600 });
      expect(await task(5)).toEqual({ is_completed: true, text: 't5', updated_at: w1 + 60 });
    });

    it('a stop that comes before a resumed walk asks for its next page does not finish the walk: its unread pages are read later', async () => {
      const api = new FakeAmo();
      const T0 = now() - 2 * 86400;
      for (let id = 1; id <= 600; id++) api.tasks.set(id, mkTask(id, T0));
      Object.assign(api.tasks.get(1)!, { updated_at: now() - 100 }); // page 1 holds a recent change
      // Run 1 is stopped after page 1: the walk's position is committed.
      const ac = new AbortController();
      api.before = (r) => r.n === 1 && ac.abort();
      expect((await sync(api, 'incremental', 'tasks', ac.signal))[0]!.fetched).toBe(250);
      api.before = undefined;
      // Run 2 is stopped between its start and the walk's first request (SIGTERM at that moment).
      const ac2 = new AbortController();
      const pages = api.pages.bind(api);
      api.pages = ((...args: Parameters<FakeAmo['pages']>) => {
        ac2.abort();
        return pages(...args);
      }) as FakeAmo['pages'];
      const r2 = await sync(api, 'incremental', 'tasks', ac2.signal);
      expect([r2[0]!.fetched, r2[0]!.error]).toEqual([0, 'aborted: stopped after the last committed page']);
      api.pages = pages;
      // The walk was not taken for finished: the next runs read pages 2 and 3 (tasks 251-600, two days old).
      expect((await sync(api, 'incremental', 'tasks'))[0]!.error).toBeUndefined();
      expect((await t.db.one('SELECT count(*)::int AS n FROM amo.tasks')).n).toBe(600);
    });

    it('a task changed behind a long walk is read by the next run although later changes pushed the highest updated_at past it', async () => {
      const api = new FakeAmo();
      const T0 = now() - 2 * 86400;
      for (let id = 1; id <= 600; id++) api.tasks.set(id, mkTask(id, T0));
      const w = now();
      api.before = (r) => {
        if (r.n === 2) Object.assign(api.tasks.get(5)!, { is_completed: true, updated_at: w + 1 });
        if (r.n === 3) Object.assign(api.tasks.get(550)!, { text: 'edited', updated_at: w + 3000 });
      };
      expect((await sync(api, 'incremental', 'tasks'))[0]!.fetched).toBe(600);
      api.before = undefined;
      expect(await task(5)).toEqual({ is_completed: false, text: 't5', updated_at: T0 });
      await sync(api, 'incremental', 'tasks');
      expect(await task(5)).toEqual({ is_completed: true, text: 't5', updated_at: w + 1 });
      expect(await task(550)).toEqual({ is_completed: false, text: 'edited', updated_at: w + 3000 });
    });

    it('the full pass deletes only tasks amoCRM no longer returns: a task deleted mid-walk shifts pages, the live task it skips stays', async () => {
      const api = new FakeAmo();
      const T0 = now() - 30 * 86400;
      for (let id = 1; id <= 600; id++) api.tasks.set(id, mkTask(id, T0 + id * 60));
      expect((await sync(api, 'full', 'tasks'))[0]!.upserted).toBe(600);
      // Task 600 was deleted since; a user deletes task 10 right after page 1 was read: task 251 slides onto
      // page 1, and only the overlapping next page (which starts at or before the last row read) sees it.
      api.tasks.delete(600);
      api.requests = [];
      api.before = (r) => r.n === 2 && api.tasks.delete(10);
      const r = (await sync(api, 'full', 'tasks'))[0]!;
      api.before = undefined;
      expect(r.error).toBeUndefined();
      expect(r.deleted).toBe(1);
      expect(await task(600)).toBeNull();
      expect(await task(251)).not.toBeNull();
      // Task 10 was read alive before it went: its task_deleted event (or the next full pass) removes it.
      expect(await task(10)).not.toBeNull();
      expect((await t.db.one('SELECT count(*)::int AS n FROM amo.tasks')).n).toBe(599);
      // The candidates were looked up by id before anything was deleted; 251 was read, so it is none.
      expect(api.idLookups('/api/v4/tasks')).toEqual([[600]]);
      api.requests = [];
      expect((await sync(api, 'full', 'tasks'))[0]!.deleted).toBe(1);
      expect(await task(10)).toBeNull();
    });

    it('an incremental walk reads the tasks that slide back across a page boundary when tasks it read are deleted', async () => {
      const api = new FakeAmo();
      const T0 = now() - 30 * 86400;
      for (let id = 1; id <= 800; id++) api.tasks.set(id, mkTask(id, T0));
      expect((await sync(api, 'full', 'tasks'))[0]!.upserted).toBe(800);
      // While the worker was down every task was edited; now, during the walk, 3 tasks of page 1 are deleted after
      // page 1 is read, and 300 more (over a page's worth, partly read already) once the walk is past offset 450.
      const edited = now() - 5400;
      for (const task of api.tasks.values()) Object.assign(task, { text: 'v2', updated_at: edited });
      let second = false;
      api.requests = [];
      api.before = (r) => {
        if (r.n === 2) for (const id of [1, 2, 3]) api.tasks.delete(id);
        const offset = (r.page - 1) * Number(r.query.limit);
        if (!second && offset >= 450) {
          second = true;
          for (let id = 260; id <= 559; id++) api.tasks.delete(id);
        }
      };
      expect((await sync(api, 'incremental', 'tasks'))[0]!.error).toBeUndefined();
      api.before = undefined;
      // Every task still in amoCRM has its edit (the deleted ones wait for their task_deleted event). Before, the
      // walk paged on past 251-253 and 560-800, and their edit is older than the next run's cursor.
      const alive = [...api.tasks.keys()];
      const stale = await t.db.map("SELECT id FROM amo.tasks WHERE text <> 'v2' AND id = ANY($1) ORDER BY id", [alive], (r: any) => Number(r.id));
      expect(stale).toEqual([]);
      expect(alive.length).toBe(497);
    });

    it('a walk stored by an earlier version (its next page number only) is walked again from its first page', async () => {
      const api = new FakeAmo();
      const T0 = now() - 2 * 86400;
      for (let id = 1; id <= 600; id++) api.tasks.set(id, mkTask(id, T0));
      expect((await sync(api, 'full', 'tasks'))[0]!.upserted).toBe(600);
      // Every task was edited; that version read page 1 (tasks 1-250) of the walk over the edits, then was stopped
      // and stored "page 2". Tasks 1-3 were deleted since: 251-253 are now on page 1, and page 2 begins at 254.
      const T1 = now() - 3600;
      for (const task of api.tasks.values()) Object.assign(task, { text: 'v2', updated_at: T1 });
      await t.db.none("UPDATE amo.tasks SET text = 'v2', updated_at = to_timestamp($1) WHERE id <= 250", [T1]);
      await t.db.none(saveStateSql('tasks', { maxSeen: T0, walk: { from: T1 - 60, page: 2, top: T1, start: T1 } }));
      for (const id of [1, 2, 3]) api.tasks.delete(id);
      expect((await sync(api, 'incremental', 'tasks'))[0]!.error).toBeUndefined();
      const stale = await t.db.map("SELECT id FROM amo.tasks WHERE text <> 'v2' AND id > 3 ORDER BY id", [], (r: any) => Number(r.id));
      expect(stale).toEqual([]);
    });

    it('pages overlap by at most MAX_OVERLAP rows and never start past the last row read', () => {
      for (let last = 0; last < 100_000; last += 37) {
        const at = overlappingPage(last, 250);
        expect(at.start).toBe((at.page - 1) * at.limit);
        expect(at.start).toBeLessThanOrEqual(last);
        if (last >= 250) expect(at.limit).toBeGreaterThanOrEqual(125);
        if (last >= 249 && last < 50_000) expect(last - at.start).toBeLessThan(MAX_OVERLAP);
      }
    });

    it('candidates are confirmed in batches of at most 250 ids (the page limit), one page each', async () => {
      const api = new FakeAmo();
      const T0 = now() - 30 * 86400;
      for (let id = 1; id <= 700; id++) api.tasks.set(id, mkTask(id, T0 + id * 60));
      await sync(api, 'full', 'tasks');
      for (let id = 101; id <= 400; id++) api.tasks.delete(id);
      api.requests = [];
      const r = (await sync(api, 'full', 'tasks'))[0]!;
      expect(r.deleted).toBe(300);
      const lookups = api.requests.filter((q) => (q.query.filter as any).id !== undefined);
      expect(lookups.map((q) => [(q.query.filter as any).id.length, q.query.limit, q.page])).toEqual([[250, 250, 1], [50, 250, 1]]);
      expect((await t.db.one('SELECT count(*)::int AS n FROM amo.tasks')).n).toBe(400);
    });
  });

  describe('a stop before the next request is not the end of the list', () => {
    const ctx = (signal: AbortSignal) => ({ api: new FakeAmo(), mode: 'incremental' as const, signal, wallNow: now() });
    const stopped = () => {
      const ac = new AbortController();
      ac.abort();
      return ac.signal;
    };
    const statesOf = async (walk: AsyncGenerator<{ state: unknown }>) => {
      const out: unknown[] = [];
      for await (const p of walk) out.push(p.state);
      return out;
    };

    it('events: a resumed walk stopped before it asks for a page commits nothing (the stored walk stays to be resumed)', async () => {
      const spec = { path: '/api/v4/events', embedded: 'events', entity: 'event', item: eventSchema, limit: 100 };
      const state = { maxSeen: 1000, walk: { from: 400, to: 900, top: 1000 } };
      // Before: the walk ended with a cursor past [400, 900) that was never read.
      expect(await statesOf(descendingWalk(ctx(stopped()), spec, state))).toEqual([]);
    });

    it('pipelines: a list cut short by a stop is not written (its stages would be deleted as gone)', async () => {
      expect(await allItems(new FakeAmo(), { path: '/api/v4/leads/pipelines', embedded: 'pipelines', entity: 'pipeline', item: pipelineSchema, limit: 250 }, stopped())).toBeUndefined();
    });
  });

  describe('progress of a full pass', () => {
    it('leads: the bar measures from the oldest row, not from 1970 (the first of three pages is not ~98 %)', async () => {
      const api = new FakeAmo();
      // 600 leads, one every ~1.8 days over three years up to an hour ago: pages of 250 end at ~42 % and ~83 %.
      const T = now() - 3600;
      for (let id = 1; id <= 600; id++) api.leads.set(id, mkLead(id, T - (600 - id) * 157_680));
      const fractions: number[] = [];
      const r = await runSync({ db: t.db, config, api, mode: 'full', streams: ['leads'], progress: (e) => e.phase === 'page' && e.fraction != null && fractions.push(e.fraction) });
      expect(r[0]!.error).toBeUndefined();
      expect(fractions.length).toBeGreaterThanOrEqual(2);
      expect(fractions[0]).toBeGreaterThan(0.3);
      expect(fractions[0]).toBeLessThan(0.55);
      expect(fractions[fractions.length - 1]).toBeGreaterThan(0.95);
      expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    });
  });

  describe('leads (keyset by updated_at)', () => {
    /** Leads 1..300 share one second; 301..600 one second each after it. */
    function tiedAccount(T: number): FakeAmo {
      const api = new FakeAmo();
      for (let id = 1; id <= 600; id++) api.leads.set(id, mkLead(id, id <= 300 ? T : T + id));
      return api;
    }

    /** A synced account whose leads 1..300 a batch edit then stamps with one second, T2: the next incremental walk meets a tie of 300. */
    async function batchEditedAccount(): Promise<{ api: FakeAmo; T2: number }> {
      const api = tiedAccount(now() - 2 * 86400);
      await sync(api, 'full', 'leads');
      const T2 = now() - 3600;
      for (let id = 1; id <= 300; id++) Object.assign(api.leads.get(id)!, { price: 2000, updated_at: T2 });
      return { api, T2 };
    }

    it('≥250 leads in one second: a tied lead edited between two tie pages makes no other lead go unread', async () => {
      const { api, T2 } = await batchEditedAccount();
      api.before = (r) => {
        const f = r.query.filter as any;
        if (Number(f?.updated_at?.from) === T2 && r.page === 2) Object.assign(api.leads.get(5)!, { price: 3000, updated_at: T2 + 100 });
      };
      const r = (await sync(api, 'incremental', 'leads'))[0]!;
      api.before = undefined;
      expect(r.error).toBeUndefined();
      expect(await storedLeads()).toEqual(amoLeads(api));
    });

    it('a run that fails while a tie is being proven keeps the cursor at the tied second: the next run reads the lead that slid', async () => {
      const { api, T2 } = await batchEditedAccount();
      // Between the tie's pages lead 5 is edited 50 min later (past the 10 min overlap): lead 251 slides onto page 1,
      // unread, and the page ending the first pass reaches T2 + 3000. The run fails as the second pass begins.
      let firstPages = 0;
      api.before = (r) => {
        const f = r.query.filter as any;
        if (Number(f?.updated_at?.from) !== T2) return;
        if (r.page === 2 && firstPages === 1) Object.assign(api.leads.get(5)!, { price: 3000, updated_at: T2 + 3000 });
        if (r.page === 1 && ++firstPages === 2) throw new Error('HTTP 503 from amoCRM (retries given up)');
      };
      const failed = (await sync(api, 'incremental', 'leads'))[0]!;
      expect(failed.error).toMatch(/503/);
      api.before = undefined;
      await sync(api, 'incremental', 'leads');
      expect(await storedLeads()).toEqual(amoLeads(api));
    });

    it('the full pass marks deleted only leads amoCRM no longer returns; a live lead the walk missed stays', async () => {
      const T = now() - 2 * 86400;
      const api = tiedAccount(T);
      await sync(api, 'full', 'leads');
      // The walk misses lead 42 (it moved while we walked); lead 600 was deleted and purged from the trash.
      api.leads.delete(600);
      api.hiddenFromWalk.add(42);
      // and a tied lead is edited between two tie pages
      api.before = (r) => {
        const f = r.query.filter as any;
        if (Number(f?.updated_at?.from) === T && r.page === 2) Object.assign(api.leads.get(5)!, { price: 3000, updated_at: T + 5000 });
      };
      const r = (await sync(api, 'full', 'leads'))[0]!;
      api.before = undefined;
      expect(r.error).toBeUndefined();
      expect(await t.db.map('SELECT id FROM amo.leads WHERE deleted_at IS NOT NULL', [], (x: any) => x.id)).toEqual([600]);
      expect(r.deleted).toBe(1);
      const lookups = api.idLookups('/api/v4/leads');
      expect(lookups.flat().sort((a, b) => a - b)).toEqual([42, 600]);
    });

    it('a lead wrongly marked deleted by the set difference is alive again when the next walk lists it', async () => {
      const T = now() - 2 * 86400;
      const api = tiedAccount(T);
      await sync(api, 'full', 'leads');
      // amoCRM leaves lead 77 out of every answer for a while (a glitch): the full pass cannot tell it from a purge.
      api.hidden.add(77);
      await sync(api, 'full', 'leads');
      expect(await t.db.map('SELECT id FROM amo.leads WHERE deleted_at IS NOT NULL', [], (x: any) => x.id)).toEqual([77]);
      api.hidden.clear();
      await sync(api, 'full', 'leads');
      expect(await storedLeads()).toEqual(amoLeads(api));
    });
  });
});
