import { startSimulator, type Simulator } from '../../src/simulator';
import { get, historyViolations, walk } from './helpers';

/* eslint-disable @typescript-eslint/no-explicit-any */
let sim: Simulator;

beforeAll(async () => {
  // history ends now, so live activity (stamped with the real clock) comes after it
  sim = await startSimulator({ seed: 5, now: new Date(Date.now() - 5000).toISOString(), rps: 0, size: { leads: 1500 } });
});
afterAll(() => sim.close());

const nowS = () => Math.floor(Date.now() / 1000);

describe('live mode', () => {
  it('mutations bump updated_at with the simulator clock and show up in incremental (filtered) lists', async () => {
    const before = sim.dataset();
    const t0 = nowS();
    sim.mutate(300);
    const after = sim.dataset();
    const old = new Map((before.leads as any[]).map((l) => [l.id, l]));
    const created = (after.leads as any[]).filter((l) => !old.has(l.id) && l.created_at >= t0);
    const changed = (after.leads as any[]).filter((l) => {
      const o = old.get(l.id);
      return o && (o.status_id !== l.status_id || o.price !== l.price || o.pipeline_id !== l.pipeline_id);
    });
    expect(created.length).toBeGreaterThan(0);
    expect(changed.length).toBeGreaterThan(0);
    for (const l of [...created, ...changed]) expect(l.updated_at).toBeGreaterThanOrEqual(t0);

    const { items } = await walk(sim, `/api/v4/leads?filter[updated_at][from]=${t0}&order[updated_at]=asc&limit=250`, 'leads');
    const seen = new Set(items.map((l) => l.id));
    for (const l of [...created, ...changed]) expect(seen.has(l.id)).toBe(true);
    expect(items.every((l) => l.updated_at >= t0)).toBe(true);

    const events = await walk(sim, `/api/v4/events?filter[created_at][from]=${t0}&limit=100`, 'events');
    const types = new Set(events.items.map((e) => e.type));
    for (const t of ['lead_added', 'lead_status_changed', 'outgoing_chat_message']) expect(types.has(t)).toBe(true);
    expect(events.items.every((e) => e.created_at >= t0)).toBe(true);

    const tasks = await walk(sim, `/api/v4/tasks?filter[updated_at][from]=${t0}&limit=250`, 'tasks');
    expect(tasks.items.some((t) => t.is_completed)).toBe(true);
    expect(tasks.items.some((t) => t.created_at >= t0)).toBe(true);
    const calls = await get(sim, `/api/v4/leads/notes?filter[note_type][]=call_in&filter[note_type][]=call_out&filter[updated_at][from]=${t0}`);
    const contactCalls = await get(sim, `/api/v4/contacts/notes?filter[note_type][]=call_in&filter[note_type][]=call_out&filter[updated_at][from]=${t0}`);
    expect((calls.json?._embedded.notes.length ?? 0) + (contactCalls.json?._embedded.notes.length ?? 0)).toBeGreaterThan(0);

    // wins happened and the history still agrees with the state
    expect((after.leads as any[]).some((l) => l.status_id === 142 && l.closed_at >= t0)).toBe(true);
    expect(historyViolations(after)).toEqual([]);
    // deletions land in the trash with a bumped updated_at
    const trash = await walk(sim, `/api/v4/leads?with=only_deleted&filter[updated_at][from]=${t0}&limit=250`, 'leads');
    const deletedEvents = events.items.filter((e) => e.type === 'lead_deleted').map((e) => e.entity_id);
    for (const id of deletedEvents) {
      const inTrash = trash.items.some((l) => l.id === id);
      const restored = events.items.some((e) => e.type === 'lead_restored' && e.entity_id === id);
      expect(inTrash || restored).toBe(true);
    }
  });

  it('the timer keeps creating activity while the simulator runs', async () => {
    const t0 = nowS();
    const ticking = await startSimulator({ seed: 6, now: new Date(Date.now() - 5000).toISOString(), size: { leads: 100 }, live: { intervalMs: 20 } });
    try {
      const countAfter = async () => (await walk(ticking, `/api/v4/events?filter[created_at][from]=${t0}&limit=100`, 'events')).items.length;
      const first = await countAfter();
      await new Promise((r) => setTimeout(r, 400));
      expect(await countAfter()).toBeGreaterThan(first);
    } finally {
      await ticking.close();
    }
  });
});
