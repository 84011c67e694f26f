import { DateTime } from 'luxon';
import { createAmoClient } from '../../src/amocrm/client';
import { longLivedAuth } from '../../src/amocrm/auth';
import { startSimulator, type SimDataset, type Simulator } from '../../src/simulator';
import { runSync } from '../../src/sync/engine';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { API_TOKEN, testConfig } from './fixture';
import { ignoreTeardownErrors, serve } from './http';

/* eslint-disable @typescript-eslint/no-explicit-any */
const SIM_TOKEN = 'sim-token-for-kpi-tests';
const NOW = '2026-11-27T12:00:00Z'; // 15:00 in Moscow, the simulated account's zone

/**
 * An independent recomputation of KPI.md straight from the simulator's own dataset (API shapes, Unix
 * seconds), written without the KPI SQL, to hold the API to after a full sync.
 */
class Recompute {
  readonly zone: string;
  readonly now: number;
  readonly users: Map<number, any>;
  readonly unsorted = new Set<string>();
  readonly history = new Map<number, any[]>();
  readonly leads: any[];

  constructor(readonly ds: SimDataset, nowIso: string) {
    const a = ds.account as any;
    this.zone = a._embedded.datetime_settings.timezone;
    this.now = Date.parse(nowIso) / 1000;
    this.users = new Map(ds.users.map((u: any) => [u.id, u]));
    for (const p of ds.pipelines as any[]) for (const s of p._embedded.statuses) if (s.type === 1) this.unsorted.add(`${p.id}/${s.id}`);
    this.leads = ds.leads as any[];
    for (const e of ds.events as any[]) {
      if (e.type !== 'lead_status_changed') continue;
      const list = this.history.get(e.entity_id) ?? [];
      list.push(e);
      this.history.set(e.entity_id, list);
    }
    for (const list of this.history.values()) list.sort((x, y) => x.created_at - y.created_at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  dayStart(date: string): number {
    return DateTime.fromISO(date, { zone: this.zone }).toSeconds();
  }
  today(): string {
    return DateTime.fromSeconds(this.now, { zone: this.zone }).toISODate()!;
  }
  stageAt(l: any, t: number): [number, number] {
    const h = this.history.get(l.id) ?? [];
    if (!h.length) return [l.pipeline_id, l.status_id];
    const before = h.filter((e) => e.created_at < t);
    const pick = (v: any) => [v[0].lead_status.pipeline_id, v[0].lead_status.id] as [number, number];
    return before.length ? pick(before[before.length - 1].value_after) : pick(h[0].value_before);
  }
  winTime(l: any, t: number): number | null {
    // A move between pipelines while won (142 -> 142) is no transition into 142.
    const into = (this.history.get(l.id) ?? []).filter(
      (e) => e.created_at < t && e.value_after[0].lead_status.id === 142 && e.value_before[0].lead_status.id !== 142,
    );
    return into.length ? into[into.length - 1].created_at : (l.closed_at ?? null);
  }
  isActiveStage([p, s]: [number, number]): boolean {
    return s !== 142 && s !== 143 && !this.unsorted.has(`${p}/${s}`);
  }
  exists(l: any, t: number): boolean {
    return (l.created_at ?? -Infinity) < t;
  }
  wins(from: number, t: number): any[] {
    return this.leads.filter((l) => {
      if (!this.exists(l, t) || this.stageAt(l, t)[1] !== 142) return false;
      const w = this.winTime(l, t);
      return w !== null && w >= from && w < t;
    });
  }
  activeNow(): any[] {
    return this.leads.filter((l) => this.isActiveStage([l.pipeline_id, l.status_id]));
  }

  managersToday() {
    const t = this.now;
    const from = this.dayStart(this.today().slice(0, 8) + '01');
    const rows = new Map<number, any>();
    const row = (id: number) => {
      if (!rows.has(id)) rows.set(id, { managerId: id, wonAmount: 0, wonCount: 0, openTasks: 0, overdueTasks: 0, leadsWithoutTasks: 0 });
      return rows.get(id);
    };
    for (const l of this.wins(from, t)) {
      const r = row(l.responsible_user_id);
      r.wonAmount += l.price ?? 0;
      r.wonCount += 1;
    }
    const active = new Map(this.activeNow().map((l) => [l.id, l]));
    const withTask = new Set<number>();
    for (const task of this.ds.tasks as any[]) {
      if (task.is_completed || task.entity_type !== 'leads' || !active.has(task.entity_id)) continue;
      withTask.add(task.entity_id);
      const r = row(task.responsible_user_id);
      r.openTasks += 1;
      if (task.complete_till < t) r.overdueTasks += 1;
    }
    for (const l of active.values()) if (!withTask.has(l.id)) row(l.responsible_user_id).leadsWithoutTasks += 1;
    return [...rows.values()]
      .filter((r) => r.wonCount > 0 || r.openTasks > 0 || r.leadsWithoutTasks > 0)
      .sort((a, b) => a.managerId - b.managerId);
  }

  department(date: string, t: number) {
    const from = this.dayStart(date.slice(0, 8) + '01');
    const won = this.wins(from, t);
    const ip = this.leads.filter((l) => this.exists(l, t) && this.isActiveStage(this.stageAt(l, t)));
    const wonAmount = won.reduce((s, l) => s + (l.price ?? 0), 0);
    return {
      wonAmount, wonCount: won.length, avgWonAmount: won.length ? Math.round(wonAmount / won.length) : null,
      inProgressAmount: ip.reduce((s, l) => s + (l.price ?? 0), 0), inProgressCount: ip.length,
    };
  }

  activity(from: string, to: string) {
    const t0 = this.dayStart(from);
    const t1 = this.dayStart(DateTime.fromISO(to).plus({ days: 1 }).toISODate()!);
    const day = (s: number) => DateTime.fromSeconds(s, { zone: this.zone }).toISODate()!;
    const calls = new Map<string, any>();
    const all = [
      ...(this.ds.contactNotes as any[]).map((n) => ({ ...n, et: 'contacts' })),
      ...(this.ds.leadNotes as any[]).map((n) => ({ ...n, et: 'leads' })),
    ].filter((n) => n.note_type === 'call_in' || n.note_type === 'call_out');
    all.sort((a, b) => a.created_at - b.created_at || (a.et < b.et ? -1 : a.et > b.et ? 1 : 0) || a.id - b.id);
    for (const n of all) {
      const key = n.params?.uniq ? `u:${n.params.uniq}` : `${n.et}:${n.id}`;
      if (!calls.has(key)) calls.set(key, n);
    }
    const cell = new Map<string, { s: number; m: number }>();
    const at = (d: string, id: number) => {
      const k = `${d}|${id}`;
      if (!cell.has(k)) cell.set(k, { s: 0, m: 0 });
      return cell.get(k)!;
    };
    for (const n of calls.values()) {
      if (n.created_at < t0 || n.created_at >= t1 || n.responsible_user_id == null) continue;
      const sec = Number(n.params?.duration);
      at(day(n.created_at), n.responsible_user_id).s += Number.isFinite(sec) ? sec : 0;
    }
    for (const e of this.ds.events as any[]) {
      if (e.type !== 'outgoing_chat_message' || e.created_at < t0 || e.created_at >= t1 || !this.users.has(e.created_by)) continue;
      at(day(e.created_at), e.created_by).m += 1;
    }
    return cell;
  }

  stale() {
    return this.activeNow()
      .filter((l) => this.exists(l, this.now))
      .map((l) => {
        const into = (this.history.get(l.id) ?? []).filter(
          (e) => e.created_at < this.now && e.value_after[0].lead_status.pipeline_id === l.pipeline_id && e.value_after[0].lead_status.id === l.status_id,
        );
        const entered = into.length ? into[into.length - 1].created_at : l.created_at;
        const days = DateTime.fromSeconds(this.now, { zone: this.zone }).startOf('day')
          .diff(DateTime.fromSeconds(entered, { zone: this.zone }).startOf('day'), 'days').days;
        return { leadId: l.id, daysInStatus: Math.round(days), price: l.price ?? 0 };
      })
      .sort((a, b) => b.daysInStatus - a.daysInStatus || a.leadId - b.leadId);
  }
}

describe('KPI API after a full sync against the simulator', () => {
  let t: TestDatabase;
  let sim: Simulator;
  let api: Awaited<ReturnType<typeof serve>>;
  let rc: Recompute;

  beforeAll(async () => {
    t = await createTestDatabase();
    ignoreTeardownErrors(t.db);
    sim = await startSimulator({ port: 0, seed: 23, token: SIM_TOKEN, size: { managers: 6, leads: 900, months: 4 }, rps: 0, now: NOW });
    const config = testConfig({ AMOKPI_NOW: NOW, AMOCRM_BASE_URL: sim.url, AMOCRM_ACCESS_TOKEN: SIM_TOKEN });
    const client = createAmoClient({ baseUrl: sim.url, auth: longLivedAuth(SIM_TOKEN), rps: 0 });
    const results = await runSync({ db: t.db, config, api: client, mode: 'full' });
    expect(results.filter((r) => r.error)).toEqual([]);
    api = await serve(config, t.db);
    rc = new Recompute(sim.dataset(), NOW);
  }, 120_000);
  afterAll(async () => {
    await api?.server.close();
    await sim?.close();
    await t?.drop();
  });

  it('per-manager board for today', async () => {
    const r = await api.get('/api/v1/kpi/managers');
    expect(r.status).toBe(200);
    const expected = rc.managersToday();
    expect(expected.length).toBeGreaterThan(2);
    expect(expected.some((x) => x.wonCount > 0) && expected.some((x) => x.openTasks > 0)).toBe(true);
    const got = r.json.rows
      .map((x: any) => ({ managerId: x.managerId, wonAmount: x.wonAmount, wonCount: x.wonCount, openTasks: x.openTasks, overdueTasks: x.overdueTasks, leadsWithoutTasks: x.leadsWithoutTasks }))
      .sort((a: any, b: any) => a.managerId - b.managerId);
    expect(got).toEqual(expected);
  });

  it('department today and a month earlier', async () => {
    const r = await api.get('/api/v1/kpi/department');
    const today = rc.today();
    const prev = DateTime.fromISO(today).minus({ months: 1 }).toISODate()!;
    const expectedNow = rc.department(today, rc.now);
    const expectedPrev = rc.department(prev, rc.dayStart(DateTime.fromISO(prev).plus({ days: 1 }).toISODate()!));
    expect(expectedNow.wonCount + expectedPrev.wonCount).toBeGreaterThan(0);
    expect(r.json.current).toMatchObject(expectedNow);
    expect(r.json.previous).toMatchObject({ date: prev, ...expectedPrev });
  });

  it('activity over the last 14 days', async () => {
    const to = rc.today();
    const from = DateTime.fromISO(to).minus({ days: 13 }).toISODate()!;
    const r = await api.get(`/api/v1/kpi/activity?from=${from}&to=${to}`);
    expect(r.status).toBe(200);
    const cells = rc.activity(from, to);
    expect(cells.size).toBeGreaterThan(0);
    let checked = 0;
    for (const row of r.json.rows) {
      const c = cells.get(`${row.date}|${row.managerId}`) ?? { s: 0, m: 0 };
      expect([row.date, row.managerId, row.callMinutes, row.messages]).toEqual([row.date, row.managerId, Math.round((c.s / 60) * 10) / 10, c.m]);
      checked += c.s || c.m ? 1 : 0;
    }
    expect(checked).toBe([...cells.values()].filter((c) => c.s || c.m).length);
  });

  it('stale deals', async () => {
    const r = await api.get('/api/v1/kpi/stale-deals');
    expect(r.status).toBe(200);
    const expected = rc.stale();
    expect(expected.length).toBeGreaterThan(0);
    expect(r.json.rows.map((x: any) => ({ leadId: x.leadId, daysInStatus: x.daysInStatus, price: x.price }))).toEqual(expected);
    expect(r.json.rows[0].url).toBe(`${sim.url}/leads/detail/${expected[0]!.leadId}`);
  });

  it('the read token is required here too', async () => {
    expect((await api.get('/api/v1/kpi/managers', null)).status).toBe(401);
    expect((await api.get('/api/v1/kpi/managers', API_TOKEN)).status).toBe(200);
  });
});
