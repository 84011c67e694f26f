import { runSync, type StreamResult } from '../../src/sync/engine';
import { EVENT_TYPES } from '../../src/sync/streams/events';
import type { Simulator, SimDataset } from '../../src/simulator';
import type { AmoClient } from '../../src/amocrm/client';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { actualTables, checksums, clientFor, dropQuietly, expectedTables, fullDump, startSim, testConfig } from './support';

/* eslint-disable @typescript-eslint/no-explicit-any */
const byStream = (rs: StreamResult[]) => Object.fromEntries(rs.map((r) => [r.stream, r]));

describe('sync engine against the simulator on real Postgres', () => {
  let t: TestDatabase;
  let sim: Simulator;
  let api: AmoClient;
  const config = testConfig();

  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSim();
    api = clientFor(sim);
  });
  afterAll(async () => {
    await api.close();
    await sim.close();
    await dropQuietly(t);
  });

  const sync = (mode: 'full' | 'incremental', streams?: string[]) => runSync({ db: t.db, config, api, mode, streams });

  async function expectEqual(ds: SimDataset) {
    const want = expectedTables(ds);
    const got = await actualTables(t.db);
    // On a mismatch the first differing rows say more than the checksum.
    for (const k of Object.keys(want)) {
      const g = new Set(got[k]!.map((r) => JSON.stringify(r)));
      const w = new Set(want[k]!.map((r) => JSON.stringify(r)));
      expect({ table: k, missing: [...w].filter((r) => !g.has(r)).slice(0, 3), extra: [...g].filter((r) => !w.has(r)).slice(0, 3) }).toEqual({ table: k, missing: [], extra: [] });
    }
    expect(checksums(got)).toEqual(checksums(want));
  }

  it('a full sync equals the dataset row for row and records every stream in sync_runs', async () => {
    const results = await sync('full');
    for (const r of results) expect(r.error).toBeUndefined();
    await expectEqual(sim.dataset());
    const runs = await t.db.any('SELECT stream, mode, finished_at IS NOT NULL AS done, requests, upserted, error FROM app.sync_runs ORDER BY id');
    expect(runs.map((r) => r.stream)).toEqual(results.map((r) => r.stream));
    expect(runs.every((r) => r.done && r.mode === 'full' && r.error === null && r.requests > 0)).toBe(true);
    const s = byStream(results);
    expect(s.leads!.upserted).toBe(sim.dataset().leads.length);
  });

  it('a second full sync changes nothing', async () => {
    const before = await fullDump(t.db);
    const results = await sync('full');
    for (const r of results) expect([r.stream, r.upserted, r.deleted, r.error]).toEqual([r.stream, 0, 0, undefined]);
    expect(await fullDump(t.db)).toBe(before);
  });

  it('after live mutations an incremental sync is equal again within minimum requests + 1 per stream', async () => {
    const ds0 = sim.dataset();
    sim.mutate(120);
    const ds1 = sim.dataset();
    const changed = (a: any[], b: any[], key = (x: any) => x.id) => {
      const old = new Map(a.map((x) => [key(x), JSON.stringify(x)]));
      return b.filter((x) => old.get(key(x)) !== JSON.stringify(x)).length;
    };
    const calls = (l: any[]) => l.filter((x) => x.note_type === 'call_in' || x.note_type === 'call_out');
    const pages = (count: number, limit: number) => Math.max(1, Math.ceil(count / limit));
    const newEvents = changed(ds0.events.filter((e: any) => (EVENT_TYPES as readonly string[]).includes(e.type)), ds1.events.filter((e: any) => (EVENT_TYPES as readonly string[]).includes(e.type)));
    const minimum: Record<string, number> = {
      account: 1,
      users: pages(ds1.users.length, 250),
      pipelines: 1,
      deleted_leads: pages(changed(ds0.deletedLeads, ds1.deletedLeads), 250),
      leads: pages(changed(ds0.leads, ds1.leads), 250),
      tasks: pages(changed(ds0.tasks, ds1.tasks), 250),
      events: pages(newEvents, 100),
      lead_notes: pages(changed(calls(ds0.leadNotes), calls(ds1.leadNotes)), 250),
      contact_notes: pages(changed(calls(ds0.contactNotes), calls(ds1.contactNotes)), 250),
    };
    expect(changed(ds0.leads, ds1.leads)).toBeGreaterThan(10);
    expect(newEvents).toBeGreaterThan(10);

    const results = await sync('incremental');
    for (const r of results) {
      expect(r.error).toBeUndefined();
      expect([r.stream, r.requests <= minimum[r.stream]! + 1]).toEqual([r.stream, true]);
    }
    await expectEqual(ds1);
    // Nothing new: a second incremental sync writes nothing.
    const again = await sync('incremental');
    for (const r of again) expect([r.stream, r.upserted, r.deleted]).toEqual([r.stream, 0, 0]);
  });

  it('deleted leads leave the board and a lead moved between pipelines lands in its new stage', async () => {
    const ds0 = sim.dataset();
    let ds1 = ds0;
    const moved = () =>
      ds1.events.find((e: any) => e.type === 'lead_status_changed' && !ds0.events.some((o: any) => o.id === e.id) &&
        e.value_before[0].lead_status.pipeline_id !== e.value_after[0].lead_status.pipeline_id) as any;
    const deletedNow = () => ds1.deletedLeads.filter((l: any) => !ds0.deletedLeads.some((o: any) => o.id === l.id));
    for (let i = 0; i < 40 && !(moved() && deletedNow().length > 0); i++) {
      sim.mutate(50);
      ds1 = sim.dataset();
    }
    const move = moved();
    expect(move).toBeDefined();
    expect(deletedNow().length).toBeGreaterThan(0);
    await sync('incremental');
    await expectEqual(ds1);
    const leadNow = ds1.leads.find((l: any) => l.id === move.entity_id) as any;
    const row = await t.db.one('SELECT pipeline_id, status_id, deleted_at FROM amo.leads WHERE id = $1', [move.entity_id]);
    if (leadNow) expect([row.pipeline_id, row.status_id, row.deleted_at]).toEqual([leadNow.pipeline_id, leadNow.status_id, null]);
    const gone = deletedNow().map((l: any) => l.id);
    const live = await t.db.any('SELECT id FROM amo.leads WHERE id = ANY($1) AND deleted_at IS NULL', [gone]);
    expect(live).toEqual([]);
  });

  it('lead_deleted and task_deleted events remove rows the sync had stored; the full pass removes what vanished', async () => {
    const ds = sim.dataset();
    const purged = (ds.events as any[]).find((e) => e.type === 'lead_deleted' && !ds.leads.some((l: any) => l.id === e.entity_id));
    const deletedTask = (ds.events as any[]).find((e) => e.type === 'task_deleted');
    expect(purged && deletedTask).toBeTruthy();
    // Rows as they were before amoCRM deleted them (stored when alive, long ago).
    await t.db.none(`INSERT INTO amo.leads (id, name, updated_at) VALUES ($1, 'alive once', to_timestamp(0)) ON CONFLICT (id) DO UPDATE SET deleted_at = NULL, updated_at = to_timestamp(0)`, [purged.entity_id]);
    await t.db.none(`INSERT INTO amo.tasks (id, updated_at) VALUES ($1, to_timestamp(0)), (424242424, to_timestamp(0))`, [deletedTask.entity_id]);
    await t.db.none(`INSERT INTO amo.leads (id, name, updated_at) VALUES (535353535, 'never listed', to_timestamp(0))`);
    // Replay the event history: the stored cursor would otherwise (rightly) skip these old events.
    await t.db.none(`DELETE FROM app.sync_state WHERE stream = 'events'`);
    const inc = byStream(await sync('incremental', ['events']));
    expect(inc.events!.deleted).toBeGreaterThanOrEqual(2);
    expect(await t.db.oneOrNone('SELECT deleted_at FROM amo.leads WHERE id = $1 AND deleted_at IS NOT NULL', [purged.entity_id])).not.toBeNull();
    expect(await t.db.oneOrNone('SELECT id FROM amo.tasks WHERE id = $1', [deletedTask.entity_id])).toBeNull();
    // Only a complete walk may conclude that something vanished.
    expect(await t.db.oneOrNone('SELECT id FROM amo.tasks WHERE id = 424242424')).not.toBeNull();
    const full = byStream(await sync('full', ['leads', 'tasks']));
    expect(full.tasks!.deleted).toBe(1);
    expect(full.leads!.deleted).toBe(1);
    expect(await t.db.oneOrNone('SELECT id FROM amo.tasks WHERE id = 424242424')).toBeNull();
    expect(await t.db.one('SELECT deleted_at IS NOT NULL AS d FROM amo.leads WHERE id = 535353535')).toEqual({ d: true });
    const inTrash = ds.deletedLeads.some((l: any) => l.id === purged.entity_id);
    await t.db.none('DELETE FROM amo.leads WHERE id = ANY($1)', [inTrash ? [535353535] : [purged.entity_id, 535353535]]);
    await expectEqual(sim.dataset());
  });
});
