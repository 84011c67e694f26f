import { z } from 'zod';
import type { AmoClient } from '../../src/amocrm/client';
import { AmoPayloadError } from '../../src/amocrm/errors';
import { encodeQuery } from '../../src/amocrm/query';
import { useFakeServerClient, type Reply } from './fake-server';
import { createLogger, setLogger } from '../../src/log';

// Retries and back-offs are logged at warn; the assertions here check them through stats instead.
setLogger(createLogger({ level: 'silent' }));

const lead = z.object({ id: z.number(), price: z.number() });
const REAL_HOST = 'https://acme.amocrm.ru';

/** Serves `total` leads like amoCRM: links on the account's real host echoing the query, 204 past the end. */
function leadsHandler(total: number, override?: (page: number) => Reply | undefined) {
  return (req: { url?: string }): Reply => {
    const u = new URL(req.url!, 'http://x');
    const page = Number(u.searchParams.get('page') ?? 1);
    const limit = Number(u.searchParams.get('limit') ?? 50);
    const o = override?.(page);
    if (o) return o;
    const from = (page - 1) * limit;
    if (from >= total) return { status: 204 };
    const items = Array.from({ length: Math.min(limit, total - from) }, (_, i) => ({ id: from + i + 1, price: 100, extra: 'tolerated' }));
    const link = (p: number) => {
      const q = new URLSearchParams(u.searchParams);
      q.set('page', String(p));
      return { href: `${REAL_HOST}${u.pathname}?${decodeURIComponent(q.toString())}` };
    };
    const links: Record<string, { href: string }> = { self: link(page) };
    if (items.length === limit) links.next = link(page + 1);
    return { status: 200, body: { _page: page, _links: links, _embedded: { leads: items } } };
  };
}

async function walk(client: AmoClient, query: Record<string, unknown> = {}) {
  const pages: number[][] = [];
  for await (const items of client.pages('/api/v4/leads', { limit: 250, ...query } as never, { embedded: 'leads', item: lead, entity: 'lead' })) {
    pages.push(items.map((l) => l.id));
  }
  return pages;
}

describe('PHP bracket query encoding', () => {
  it('encodes nested filters, arrays and orders like PHP parses them', () => {
    expect(
      encodeQuery({
        filter: { updated_at: { from: 1700000000, to: 1700003600 }, type: ['lead_status_changed', 'lead_deleted'], skip: undefined },
        order: { updated_at: 'asc' },
        with: 'contacts,loss_reason',
        limit: 250,
        nothing: null,
      }),
    ).toBe(
      'filter[updated_at][from]=1700000000&filter[updated_at][to]=1700003600&filter[type][]=lead_status_changed' +
        '&filter[type][]=lead_deleted&order[updated_at]=asc&with=contacts%2Closs_reason&limit=250',
    );
    expect(encodeQuery({ filter: { statuses: [{ pipeline_id: 7, status_id: 142 }] }, query: 'a&b=c' })).toBe(
      'filter[statuses][0][pipeline_id]=7&filter[statuses][0][status_id]=142&query=a%26b%3Dc',
    );
  });
});

describe('HAL paging against a real HTTP server', () => {
  const start = useFakeServerClient('long-lived-token-123');

  it.each([
    [0, [], 1],
    [1, [1], 1],
    [250, [250], 2], // a full page carries a next link; the page after it answers 204
    [251, [250, 1], 2],
  ])('walks %i rows as pages %j in %i requests, on the configured host', async (total, sizes, requests) => {
    const { server, client } = await start(leadsHandler(total));
    const pages = await walk(client, { filter: { updated_at: { from: 5 } } });
    expect(pages.map((p) => p.length)).toEqual(sizes);
    expect(pages.flat()).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(server.arrivals).toHaveLength(requests);
    expect(client.stats().requests).toBe(requests);
    // The next link named https://acme.amocrm.ru; the client stayed on its own host and kept the filter.
    for (const a of server.arrivals) expect(a.url).toContain('filter[updated_at][from]=5');
    expect(server.arrivals[0]!.authorization).toBe('Bearer long-lived-token-123');
  });

  it('treats a 204 in the middle of a walk as the end of the list', async () => {
    const { server, client } = await start(leadsHandler(1000, (page) => (page === 3 ? { status: 204 } : undefined)));
    const pages = await walk(client);
    expect(pages.map((p) => p.length)).toEqual([250, 250]);
    expect(server.arrivals).toHaveLength(3);
  });

  it('throws a clear error on a malformed page and yields nothing of it', async () => {
    const { client } = await start(
      leadsHandler(1000, (page) => (page === 2 ? { status: 200, body: '{"_embedded":{"leads":[{"id":251,', type: 'application/hal+json' } : undefined)),
    );
    const yielded: number[] = [];
    const err = await (async () => {
      for await (const items of client.pages('/leads', { limit: 250 }, { embedded: 'leads', item: lead, entity: 'lead' })) {
        yielded.push(...items.map((l) => l.id));
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoPayloadError);
    expect((err as Error).message).toMatch(/^lead page 2 of \/api\/v4\/leads: response is not valid JSON/);
    expect(yielded).toHaveLength(250);
    expect(Math.max(...yielded)).toBe(250);
  });

  it('names the entity, its id and the field when an item has the wrong type, before yielding the page', async () => {
    const { client } = await start(() => ({
      status: 200,
      body: { _embedded: { leads: [{ id: 1, price: 5 }, { id: 123, price: 'lots' }] }, _links: {} },
    }));
    const yielded: unknown[] = [];
    const err = await (async () => {
      for await (const items of client.pages('/leads', {}, { embedded: 'leads', item: lead, entity: 'lead' })) yielded.push(...items);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoPayloadError);
    expect((err as Error).message).toBe('lead 123: price: expected number, received string');
    expect(yielded).toEqual([]);
  });

  it('refuses a page without the expected _embedded list, and a next link that loops', async () => {
    const { client } = await start((req) =>
      req.url!.includes('tasks')
        ? { status: 200, body: { _embedded: { leads: [] } } }
        : { status: 200, body: { _embedded: { leads: [{ id: 1, price: 1 }] }, _links: { next: { href: `${REAL_HOST}/api/v4/leads?page=1` } } } },
    );
    await expect(walkOnce(client, '/tasks', 'tasks')).rejects.toThrow('task page 1 of /api/v4/tasks: _embedded.tasks is missing');
    await expect(walkOnce(client, '/leads?page=1', 'leads')).rejects.toThrow(/points back to an already-read page/);
  });

  it('get(): 204 is null, the body is validated when a schema is given', async () => {
    const { client } = await start((req) =>
      req.url!.startsWith('/api/v4/leads/9') ? { status: 204 } : { status: 200, body: { id: 1, currency: 643 } },
    );
    expect(await client.get('/api/v4/leads/9')).toBeNull();
    expect(await client.get('/api/v4/account', { with: 'datetime_settings' })).toEqual({ id: 1, currency: 643 });
    await expect(client.get('/api/v4/account', {}, z.object({ id: z.number(), currency: z.string() }))).rejects.toThrow(
      'account 1: currency: expected string, received number',
    );
  });

  it('stops between pages when the signal is aborted (SIGTERM: finish the current page)', async () => {
    const { server, client } = await start(leadsHandler(1000));
    const ac = new AbortController();
    const seen: number[] = [];
    for await (const items of client.pages('/leads', { limit: 250 }, { embedded: 'leads', item: lead, entity: 'lead', signal: ac.signal })) {
      seen.push(items.length);
      ac.abort();
    }
    expect(seen).toEqual([250]);
    expect(server.arrivals).toHaveLength(1);
  });
});

async function walkOnce(client: AmoClient, path: string, key: string) {
  const schema = z.object({ id: z.number() });
  for await (const _ of client.pages(path.split('?')[0]!, {}, { embedded: key, item: schema, entity: key.replace(/s$/, '') })) {
    /* drain */
  }
}
