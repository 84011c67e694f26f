import { runSync } from '../../src/sync/engine';
import type { Simulator } from '../../src/simulator';
import type { AmoClient } from '../../src/amocrm/client';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { clientFor, dropQuietly, startSim, testConfig } from '../sync/support';

describe('sync runs left open by a process that died', () => {
  let t: TestDatabase;
  let sim: Simulator;
  let api: AmoClient;

  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSim({ size: { managers: 2, leads: 30, months: 1 } });
    api = clientFor(sim);
  });
  afterAll(async () => {
    await api.close();
    await sim.close();
    await dropQuietly(t);
  });

  it('are closed as interrupted when the next sync takes the lock, so status never shows them running forever', async () => {
    // What a kill -9 (or a database that went away before the run was recorded) leaves behind.
    const { id } = await t.db.one<{ id: number }>(
      "INSERT INTO app.sync_runs (stream, mode, started_at) VALUES ('events', 'full', now() - interval '1 hour') RETURNING id",
    );
    const results = await runSync({ db: t.db, config: testConfig(), api, mode: 'incremental', streams: ['users'] });
    expect(results.filter((r) => r.error)).toEqual([]);
    const stale = await t.db.one('SELECT finished_at, error FROM app.sync_runs WHERE id = $1', [id]);
    expect(stale.finished_at).not.toBeNull();
    expect(stale.error).toMatch(/^interrupted/);
    const open = await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM app.sync_runs WHERE finished_at IS NULL');
    expect(open.n).toBe(0);
    const users = await t.db.one("SELECT error FROM app.sync_runs WHERE stream = 'users' ORDER BY id DESC LIMIT 1");
    expect(users.error).toBeNull();
  });
});
