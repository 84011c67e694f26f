import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAmoClient, type AmoClient } from '../../src/amocrm/client';
import { longLivedAuth } from '../../src/amocrm/auth';
import { runSync } from '../../src/sync/engine';
import { leadSchema } from '../../src/sync/schemas';
import { ascendingWalk } from '../../src/sync/walk';
import type { Simulator } from '../../src/simulator';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { actualTables, clientFor, dropQuietly, expectedTables, startSim, testConfig, TOKEN } from './support';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * An amoCRM whose account has "API filtering" off: filter[...] and order[...] are ignored and the whole list is
 * served in storage order (reference 3.3). A real HTTP server, so the real client and walkers are exercised.
 */
function careless(leads: any[]): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    const u = new URL(req.url!, 'http://x');
    if (u.pathname !== '/api/v4/leads' || u.searchParams.get('with') === 'only_deleted') {
      res.writeHead(204).end();
      return;
    }
    const limit = Math.min(250, Number(u.searchParams.get('limit') ?? 50));
    const page = Number(u.searchParams.get('page') ?? 1);
    const items = leads.slice((page - 1) * limit, page * limit);
    if (items.length === 0) {
      res.writeHead(204).end();
      return;
    }
    const self = `http://${req.headers.host}${u.pathname}${u.search}`;
    const links: any = { self: { href: self } };
    if (page * limit < leads.length) {
      u.searchParams.set('page', String(page + 1));
      links.next = { href: `http://${req.headers.host}${u.pathname}?${u.searchParams}` };
    }
    res.writeHead(200, { 'content-type': 'application/hal+json' }).end(JSON.stringify({ _page: page, _links: links, _embedded: { leads: items } }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        hits: () => hits,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

describe('client-side validation and the data-derived cursor', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => dropQuietly(t));

  it('a server that ignores filter and order is walked by pages, rows outside the window are not re-written, nothing is missed', async () => {
    const lead = (id: number, updated: number) => ({ id, name: `L${id}`, price: id, responsible_user_id: 1, pipeline_id: 1, status_id: 10, created_by: 0, created_at: 1_700_000_000, updated_at: updated, closed_at: null });
    // Storage order is not updated_at order.
    const leads = Array.from({ length: 600 }, (_, i) => lead(1000 + i, 1_700_000_000 + ((i * 7919) % 600) * 60));
    const srv = await careless(leads);
    const api: AmoClient = createAmoClient({ baseUrl: srv.url, auth: longLivedAuth(TOKEN), rps: 0 });
    try {
      const config = testConfig();
      const first = await runSync({ db: t.db, config, api, mode: 'incremental', streams: ['leads'] });
      expect(first[0]!.error).toBeUndefined();
      expect(first[0]!.upserted).toBe(600);
      expect(first[0]!.requests).toBe(3);
      // Two leads change much later; one stays old. Only the changed ones are written.
      leads[5] = lead(1005, 1_700_100_000);
      leads[400] = { ...lead(1400, 1_700_100_001), price: 999_999 };
      const second = await runSync({ db: t.db, config, api, mode: 'incremental', streams: ['leads'] });
      expect(second[0]!.upserted).toBe(2);
      expect(second[0]!.requests).toBe(3);
      const rows = await t.db.any('SELECT id, price, extract(epoch FROM updated_at)::bigint AS u FROM amo.leads WHERE id IN (1005, 1400) ORDER BY id');
      expect(rows).toEqual([{ id: 1005, price: 1005, u: 1_700_100_000 }, { id: 1400, price: 999_999, u: 1_700_100_001 }]);
      // Unordered pages must not move the committed cursor before the walk is complete (a kill would skip rows).
      const states: unknown[] = [];
      const spec = { path: '/api/v4/leads', embedded: 'leads', entity: 'lead', item: leadSchema, limit: 250 };
      for await (const p of ascendingWalk({ api, mode: 'incremental', wallNow: 1_800_000_000 }, spec, { maxSeen: 1_700_000_000 })) states.push(p.state);
      expect(states).toEqual([{ maxSeen: 1_700_000_000 }, { maxSeen: 1_700_000_000 }, { maxSeen: 1_700_000_000 }, { maxSeen: 1_700_100_001 }]);
    } finally {
      await api.close();
      await srv.close();
    }
  });

  it('a frozen AMOKPI_NOW in the past does not make an incremental sync skip changes', async () => {
    const sim: Simulator = await startSim({ seed: 3, size: { managers: 3, leads: 150, months: 2 } });
    const api = clientFor(sim);
    const db2 = await createTestDatabase();
    try {
      const frozen = testConfig({ AMOKPI_NOW: '2020-01-01T12:00:00+03:00' });
      await runSync({ db: db2.db, config: frozen, api, mode: 'incremental' });
      sim.mutate(60);
      await runSync({ db: db2.db, config: frozen, api, mode: 'incremental' });
      const want = expectedTables(sim.dataset());
      const got = await actualTables(db2.db);
      for (const k of ['leads', 'deleted_leads', 'tasks', 'events', 'notes']) expect([k, got[k]]).toEqual([k, want[k]]);
      const cursors = await db2.db.map("SELECT stream, (cursor->>'maxSeen')::bigint AS m FROM app.sync_state WHERE stream IN ('leads', 'events')", [], (r: any) => r.m);
      for (const m of cursors) expect(m).toBeGreaterThan(Date.parse('2020-01-02') / 1000);
    } finally {
      await api.close();
      await sim.close();
      await dropQuietly(db2);
    }
  });

  it('an amoCRM block (403 HTML) stops the whole run at once: no retry storm, the other streams are skipped', async () => {
    const sim: Simulator = await startSim({ seed: 9, size: { managers: 2, leads: 50, months: 1 } });
    const api = clientFor(sim);
    try {
      sim.setBlocked(true);
      const results = await runSync({ db: t.db, config: testConfig(), api, mode: 'incremental' });
      expect(results[0]!.error).toMatch(/blocked/i);
      expect(results.slice(1).every((r) => r.error === 'skipped: amoCRM blocked the account' && r.requests === 0)).toBe(true);
      expect(sim.stats().total).toBe(1);
    } finally {
      await api.close();
      await sim.close();
    }
  });
});
