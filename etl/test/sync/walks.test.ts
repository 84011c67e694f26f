import { runSync } from '../../src/sync/engine';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { FakeAmo, mkTask } from './fake-amo';
import { dropQuietly, testConfig } from './support';

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
  });
});
