import { startSimulator, type Simulator } from '../../src/simulator';
import { parsePhpQuery } from '../../src/simulator/query';
import { get, NOW, walk } from './helpers';

let sim: Simulator;
let leadIds: number[];

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, now: NOW, rps: 0, token: ['sim-token', 'second-token'] });
  leadIds = (sim.dataset().leads as { id: number }[]).map((l) => l.id);
});
afterAll(() => sim.close());

const idFilter = (ids: number[]) => ids.map((id) => `filter[id][]=${id}`).join('&');

describe('PHP-style query strings', () => {
  it('parses nested brackets, pushes, indexes and encoded brackets like PHP', () => {
    expect(parsePhpQuery('filter[updated_at][from]=10&filter[updated_at][to]=20&order[id]=asc')).toEqual({
      filter: { updated_at: { from: '10', to: '20' } },
      order: { id: 'asc' },
    });
    expect(parsePhpQuery('filter[note_type][]=call_in&filter[note_type][]=call_out&with=contacts,loss_reason')).toEqual({
      filter: { note_type: ['call_in', 'call_out'] },
      with: 'contacts,loss_reason',
    });
    expect(parsePhpQuery('filter%5Bid%5D%5B%5D=5&filter%5Bid%5D%5B%5D=6&q=a+b')).toEqual({ filter: { id: ['5', '6'] }, q: 'a b' });
    expect(parsePhpQuery('filter[statuses][0][pipeline_id]=1&filter[statuses][0][status_id]=142')).toEqual({
      filter: { statuses: { '0': { pipeline_id: '1', status_id: '142' } } },
    });
  });
});

describe('HAL paging', () => {
  it('answers 204 with an empty body when nothing matches', async () => {
    const a = await get(sim, '/api/v4/leads?filter[id]=1');
    expect(a.status).toBe(204);
    expect(a.text).toBe('');
  });

  it('serves exactly 1, 250 and 251 rows with next only when more rows exist', async () => {
    const one = await get(sim, `/api/v4/leads?limit=250&${idFilter(leadIds.slice(0, 1))}`);
    expect(one.status).toBe(200);
    expect(one.type).toBe('application/hal+json');
    expect(one.json._embedded.leads.map((l: { id: number }) => l.id)).toEqual(leadIds.slice(0, 1));
    expect(one.json._links.next).toBeUndefined();

    const full = await get(sim, `/api/v4/leads?limit=250&${idFilter(leadIds.slice(0, 250))}`);
    expect(full.json._embedded.leads).toHaveLength(250);
    expect(full.json._links.next).toBeUndefined();
    expect(full.json._page).toBe(1);

    const over = await walk(sim, `/api/v4/leads?limit=250&${idFilter(leadIds.slice(0, 251))}`, 'leads');
    expect(over.pages).toBe(2);
    expect(over.items.map((l) => l.id)).toEqual(leadIds.slice(0, 251));
    const page3 = await get(sim, `/api/v4/leads?limit=250&page=3&${idFilter(leadIds.slice(0, 251))}`);
    expect(page3.status).toBe(204);
    expect(page3.text).toBe('');
  });

  it('looks tasks and leads up by filter[id][] (what the full pass asks about ids it did not see): unknown and trashed ids are not returned', async () => {
    const tasks = (sim.dataset().tasks as { id: number }[]).map((t) => t.id);
    const t = await get(sim, `/api/v4/tasks?limit=250&${idFilter([tasks[0]!, 999_999_999, tasks[1]!])}`);
    expect(t.json._embedded.tasks.map((x: { id: number }) => x.id)).toEqual([tasks[0], tasks[1]]);
    const trashed = (sim.dataset().deletedLeads as { id: number }[])[0]!.id;
    const l = await get(sim, `/api/v4/leads?limit=250&${idFilter([leadIds[0]!, trashed])}`);
    expect(l.json._embedded.leads.map((x: { id: number }) => x.id)).toEqual([leadIds[0]]);
    expect((await get(sim, `/api/v4/tasks?limit=250&${idFilter([999_999_999])}`)).status).toBe(204);
  });

  it('accepts the comma form of an id filter as well as the array form', async () => {
    const ids = leadIds.slice(10, 13);
    const a = await get(sim, `/api/v4/leads?filter[id]=${ids.join(',')}`);
    expect(a.json._embedded.leads.map((l: { id: number }) => l.id)).toEqual(ids);
  });

  it('caps limit at 250 (events 100): a larger limit silently falls back to 50', async () => {
    const cases: [string, number][] = [
      ['/api/v4/leads?limit=250', 250],
      ['/api/v4/leads?limit=251', 50],
      ['/api/v4/leads?limit=abc', 50],
      ['/api/v4/leads', 50],
      ['/api/v4/events?limit=100', 100],
      ['/api/v4/events?limit=101', 50],
      ['/api/v4/tasks?limit=500', 50],
    ];
    for (const [path, n] of cases) {
      const a = await get(sim, path);
      const key = Object.keys(a.json._embedded)[0]!;
      expect([path, a.json._embedded[key].length]).toEqual([path, n]);
    }
  });

  it('echoes the full original query in self/next/prev with only the page changed', async () => {
    const q = 'filter%5Bupdated_at%5D%5Bfrom%5D=1&order[updated_at]=asc&page=2&limit=7&with=contacts';
    const a = await get(sim, `/api/v4/leads?${q}`);
    expect(a.json._links.self.href).toBe(`${sim.url}/api/v4/leads?${q}`);
    expect(a.json._links.next.href).toBe(`${sim.url}/api/v4/leads?${q.replace('page=2', 'page=3')}`);
    expect(a.json._links.prev.href).toBe(`${sim.url}/api/v4/leads?${q.replace('page=2', 'page=1')}`);
    const noPage = await get(sim, '/api/v4/events?filter[type]=lead_added&limit=3');
    expect(noPage.json._links.next.href).toBe(`${sim.url}/api/v4/events?filter[type]=lead_added&limit=3&page=2`);
    // following next continues exactly where the page ended
    const next = await get(a.json._links.next.href, '');
    const page2and3 = await get(sim, `/api/v4/leads?${q.replace('page=2', 'page=1').replace('limit=7', 'limit=21')}`);
    expect([...a.json._embedded.leads, ...next.json._embedded.leads].map((l: { id: number }) => l.id)).toEqual(
      page2and3.json._embedded.leads.slice(7, 21).map((l: { id: number }) => l.id),
    );
  });

  it('links name the host the client addressed (e.g. a docker service name)', async () => {
    const { request } = await import('undici');
    const res = await request(`${sim.url}/api/v4/leads?limit=1`, { headers: { authorization: 'Bearer sim-token', host: 'simulator:8090' } });
    const body = (await res.body.json()) as { _links: { next: { href: string } }; _embedded: { leads: { _links: { self: { href: string } } }[] } };
    expect(body._links.next.href).toBe('http://simulator:8090/api/v4/leads?limit=1&page=2');
    expect(body._embedded.leads[0]!._links.self.href).toMatch(/^http:\/\/simulator:8090\/api\/v4\/leads\/\d+$/);
  });

  it('reference lists carry totals: users paginate with _total_items/_page_count, pipelines are unpaged', async () => {
    const users = await get(sim, '/api/v4/users?limit=5');
    const total = sim.dataset().users.length;
    expect(users.json._total_items).toBe(total);
    expect(users.json._page_count).toBe(Math.ceil(total / 5));
    const pipelines = await get(sim, '/api/v4/leads/pipelines');
    expect(pipelines.json._total_items).toBe(3);
    expect(pipelines.json._embedded.pipelines).toHaveLength(3);
  });
});

describe('filters and order', () => {
  it('leads: updated_at window + order asc returns exactly the matching leads in order', async () => {
    const all = sim.dataset().leads as { id: number; updated_at: number }[];
    const sorted = all.map((l) => l.updated_at).sort((a, b) => a - b);
    const from = sorted[Math.floor(sorted.length / 3)]!;
    const to = sorted[Math.floor((2 * sorted.length) / 3)]!;
    const { items } = await walk(sim, `/api/v4/leads?filter[updated_at][from]=${from}&filter[updated_at][to]=${to}&order[updated_at]=asc&limit=250`, 'leads');
    const expected = all.filter((l) => l.updated_at >= from && l.updated_at <= to);
    expect(items.map((l) => l.id).sort()).toEqual(expected.map((l) => l.id).sort());
    for (let i = 1; i < items.length; i++) expect(items[i].updated_at).toBeGreaterThanOrEqual(items[i - 1].updated_at);
    const desc = await get(sim, '/api/v4/leads?order[id]=desc&limit=3');
    expect(desc.json._embedded.leads.map((l: { id: number }) => l.id)).toEqual([...leadIds].reverse().slice(0, 3));
  });

  it('leads: with=contacts embeds contacts; with=only_deleted serves only the trash', async () => {
    const a = await get(sim, '/api/v4/leads?with=contacts&limit=1');
    expect(a.json._embedded.leads[0]._embedded.contacts[0]).toMatchObject({ is_main: true, id: expect.any(Number) });
    expect(a.json._embedded.leads[0]._embedded).toHaveProperty('tags');
    expect(a.json._embedded.leads[0]._embedded).toHaveProperty('companies');
    expect(a.json._embedded.leads[0].custom_fields_values).toBeNull();
    const trash = await walk(sim, '/api/v4/leads?with=only_deleted&limit=250', 'leads');
    const deleted = sim.dataset().deletedLeads as { id: number }[];
    expect(deleted.length).toBeGreaterThan(0);
    expect(trash.items.map((l) => l.id)).toEqual(deleted.map((l) => l.id));
    expect(trash.items.every((l) => l.is_deleted === true)).toBe(true);
  });

  it('leads/{id}: the bare object, 204 for a deleted lead, 404 for an unknown id', async () => {
    const one = await get(sim, `/api/v4/leads/${leadIds[0]}`);
    expect(one.json.id).toBe(leadIds[0]);
    expect(one.json._embedded).toBeDefined();
    const deleted = (sim.dataset().deletedLeads as { id: number }[])[0]!;
    const gone = await get(sim, `/api/v4/leads/${deleted.id}`);
    expect([gone.status, gone.text]).toEqual([204, '']);
    const unknown = await get(sim, '/api/v4/leads/1');
    expect(unknown.status).toBe(404);
    expect(unknown.type).toBe('application/problem+json');
  });

  it('events: newest first; type as comma list or array; entity and created_at window', async () => {
    const comma = await walk(sim, '/api/v4/events?filter[type]=lead_deleted,lead_restored&limit=100', 'events');
    const array = await walk(sim, '/api/v4/events?filter[type][]=lead_deleted&filter[type][]=lead_restored&limit=100', 'events');
    expect(comma.items.length).toBeGreaterThan(0);
    expect(array.items).toEqual(comma.items);
    expect(new Set(comma.items.map((e) => e.type))).toEqual(new Set(['lead_deleted', 'lead_restored']));
    for (let i = 1; i < comma.items.length; i++) expect(comma.items[i].created_at).toBeLessThanOrEqual(comma.items[i - 1].created_at);

    const all = sim.dataset().events as { id: string; type: string; entity_type: string; created_at: number }[];
    const from = all[200]!.created_at;
    const to = all[100]!.created_at;
    const win = await walk(sim, `/api/v4/events?filter[type]=lead_status_changed&filter[entity]=lead&filter[created_at][from]=${from}&filter[created_at][to]=${to}&limit=100`, 'events');
    const expected = all.filter((e) => e.type === 'lead_status_changed' && e.created_at >= from && e.created_at <= to);
    expect(win.items.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(typeof win.items[0].id).toBe('string');
    const plain = await walk(sim, `/api/v4/events?filter[created_at][from]=${from}&filter[created_at][to]=${to}&limit=100`, 'events');
    expect(plain.items.map((e) => e.id)).toEqual(all.filter((e) => e.created_at >= from && e.created_at <= to).map((e) => e.id));
    const page3 = await get(sim, '/api/v4/events?limit=100&page=3');
    expect(page3.json._embedded.events.map((e: { id: string }) => e.id)).toEqual(all.slice(200, 300).map((e) => e.id));
    const tasks = await get(sim, '/api/v4/events?filter[entity]=task&limit=100');
    expect(tasks.json._embedded.events.every((e: { type: string; entity_type: string }) => e.entity_type === 'task' && e.type.startsWith('task_'))).toBe(true);
  });

  it('events/{id}: the event itself; an unknown id is 404', async () => {
    const e = (sim.dataset().events as { id: string }[])[42]!;
    expect((await get(sim, `/api/v4/events/${e.id}`)).json).toEqual(e);
    expect((await get(sim, '/api/v4/events/01zzzzzzzzzzzzzzzzzzzzzzzz')).status).toBe(404);
  });

  it('tasks: updated_at filter and order by id; order[updated_at] is not supported and ignored', async () => {
    const all = sim.dataset().tasks as { id: number; updated_at: number }[];
    const from = all.map((t) => t.updated_at).sort((a, b) => a - b)[Math.floor(all.length / 2)]!;
    const { items } = await walk(sim, `/api/v4/tasks?filter[updated_at][from]=${from}&order[id]=asc&limit=250`, 'tasks');
    expect(items.map((t) => t.id)).toEqual(all.filter((t) => t.updated_at >= from).map((t) => t.id));
    const ignored = await get(sim, '/api/v4/tasks?order[updated_at]=desc&limit=5');
    expect(ignored.json._embedded.tasks.map((t: { id: number }) => t.id)).toEqual(all.slice(0, 5).map((t) => t.id));
  });

  it('notes: note_type array filter on leads and contacts', async () => {
    for (const [path, key] of [['leads', 'leadNotes'], ['contacts', 'contactNotes']] as const) {
      const { items } = await walk(sim, `/api/v4/${path}/notes?filter[note_type][]=call_in&filter[note_type][]=call_out&limit=250`, 'notes');
      const expected = (sim.dataset()[key] as { id: number; note_type: string }[]).filter((n) => n.note_type.startsWith('call_'));
      expect(items.length).toBeGreaterThan(0);
      expect(items.map((n) => n.id)).toEqual(expected.map((n) => n.id));
    }
  });

  it('notes of one entity: /leads/{id}/notes, and each note self link resolves', async () => {
    const note = (sim.dataset().leadNotes as { id: number; entity_id: number; _links: { self: { href: string } } }[])[0]!;
    const list = await get(sim, `/api/v4/leads/${note.entity_id}/notes`);
    expect(list.json._embedded.notes.every((n: { entity_id: number }) => n.entity_id === note.entity_id)).toBe(true);
    expect(list.json._embedded.notes.map((n: { id: number }) => n.id)).toContain(note.id);
    expect((await get(note._links.self.href, '')).json.id).toBe(note.id);
  });

  it('account: time zone and currency; the zone option changes the offset', async () => {
    const a = await get(sim, '/api/v4/account?with=datetime_settings');
    expect(a.json.currency).toBe('RUB');
    expect(a.json._embedded.datetime_settings).toMatchObject({ timezone: 'Europe/Moscow', timezone_offset: '+03:00' });
    const other = await startSimulator({ size: { leads: 10 }, now: NOW, timezone: 'Asia/Yekaterinburg' });
    try {
      const b = await get(other, '/api/v4/account?with=datetime_settings');
      expect(b.json._embedded.datetime_settings).toMatchObject({ timezone: 'Asia/Yekaterinburg', timezone_offset: '+05:00' });
    } finally {
      await other.close();
    }
  });
});

describe('auth', () => {
  it('answers 401 problem+json without or with a wrong bearer token, and accepts every configured token', async () => {
    for (const token of [null, 'wrong-token']) {
      const a = await get(sim, '/api/v4/account', token);
      expect(a.status).toBe(401);
      expect(a.type).toBe('application/problem+json');
      expect(a.json).toMatchObject({ status: 401, title: 'Unauthorized', type: expect.any(String), detail: expect.any(String) });
    }
    expect((await get(sim, '/api/v4/account', 'second-token')).status).toBe(200);
  });

  it('unknown paths are 404 problem+json', async () => {
    const a = await get(sim, '/api/v4/nothing');
    expect(a.status).toBe(404);
    expect(a.json.status).toBe(404);
  });
});
