import { API_PREFIX, buildApp } from '../../src/api/server';
import { openapi } from '../../src/api/openapi';
import { closePool } from '../../src/db/close';
import { pgp } from '../../src/db/pgp';
import { ADMIN_TOKEN, testConfig } from '../kpi/fixture';
import { serve, useSeededAccount } from '../kpi/http';

interface Operation {
  parameters?: { name: string; in: string; schema?: { description?: string } }[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, unknown>;
}
const operations = () =>
  Object.entries(openapi.paths).flatMap(([path, ops]) => Object.entries(ops as Record<string, Operation>).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
/** A documented path with sample path parameters. */
const concrete = (path: string) => path.replace('{month}', '2027-01').replace('{managerId}', '101');

interface Layer { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } }

/** Every (method, path) the express app routes, in OpenAPI path syntax. */
function routesOf(app: ReturnType<typeof buildApp>): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [m, on] of Object.entries(layer.route.methods)) {
          if (on && m !== '_all') out.push(`${m.toUpperCase()} ${prefix}${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack, API_PREFIX);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out.sort();
}

describe('OpenAPI document', () => {
  const { t } = useSeededAccount();

  const documented = () =>
    Object.entries(openapi.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();

  it('documents exactly the routes the server has', () => {
    expect(documented()).toEqual(routesOf(buildApp(testConfig(), t.db)));
    expect(documented().length).toBeGreaterThanOrEqual(13);
  });

  it('every documented operation answers (no 404) and is served at /api/v1/openapi.json', async () => {
    const api = await serve(testConfig(), t.db);
    try {
      const served = await api.get('/api/v1/openapi.json', null);
      expect(served.status).toBe(200);
      expect(served.json.paths).toEqual(JSON.parse(JSON.stringify(openapi.paths)));
      for (const { method, path, op: operation } of operations()) {
        const op = `${method} ${path}`;
        // A body operation is called with its documented example, which must be accepted.
        const body = operation.requestBody?.content['application/json']?.example;
        expect([op, body === undefined]).toEqual([op, method !== 'PUT']);
        const r = await api.call(method, concrete(path), { token: ADMIN_TOKEN, body });
        expect([op, r.status]).toEqual([op, expect.any(Number)]);
        expect([op, r.status < 300]).toEqual([op, true]);
      }
    } finally {
      await api.server.close();
    }
  });

  it('an operation with a body documents and answers 413 for a body over its limit and 415 for one it cannot decode', async () => {
    const api = await serve(testConfig(), t.db);
    try {
      const withBody = operations().filter(({ op }) => op.requestBody);
      expect(withBody.length).toBeGreaterThanOrEqual(2);
      for (const { method, path, op } of withBody) {
        expect([method, path, Object.keys(op.responses)]).toEqual([method, path, expect.arrayContaining(['400', '401', '413', '415', '500'])]);
        const send = (headers: Record<string, string>, body: string) =>
          fetch(api.server.url + concrete(path), { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, body });
        const big = await send({ 'content-type': 'application/json' }, JSON.stringify({ pad: 'x'.repeat(300_000) }));
        expect([path, big.status, ((await big.json()) as { title: string }).title]).toEqual([path, 413, 'Payload Too Large']);
        const koi8 = await send({ 'content-type': 'application/json; charset=koi8-r' }, '{}');
        expect([path, koi8.status, ((await koi8.json()) as { title: string }).title]).toEqual([path, 415, 'Unsupported Media Type']);
        const text = await send({ 'content-type': 'text/plain' }, '{}');
        expect([path, text.status, ((await text.json()) as { title: string }).title]).toEqual([path, 415, 'Unsupported Media Type']);
      }
    } finally {
      await api.server.close();
    }
  });

  it('documents 500 on every API operation and 503 on healthz, and answers them when the database is gone', async () => {
    for (const { method, path, op } of operations()) {
      if (path.startsWith(API_PREFIX) && path !== `${API_PREFIX}/openapi.json`) expect([method, path, Object.keys(op.responses)]).toEqual([method, path, expect.arrayContaining(['500'])]);
    }
    expect(Object.keys(openapi.paths['/healthz'].get.responses)).toEqual(['200', '503']);
    // A database that does not exist: every query fails as it would with Postgres down.
    const gone = pgp({ connectionString: t.url.replace(/\/[^/]+$/, '/amokpi_no_such_database'), max: 1 }, 'gone');
    gone.$pool.on('error', () => {});
    const api = await serve(testConfig(), gone);
    try {
      const health = await api.get('/healthz', null);
      expect([health.status, health.json]).toEqual([503, { status: 'database unavailable' }]);
      for (const path of ['/api/v1/managers', '/api/v1/kpi/managers', '/api/v1/plans']) {
        const r = await api.get(path);
        expect([path, r.status, r.json?.title]).toEqual([path, 500, 'Internal Server Error']);
      }
    } finally {
      await api.server.close();
      await closePool(gone);
    }
  });

  it('every documented query parameter is accepted and an undocumented one is refused', async () => {
    const sample: Record<string, string> = {
      date: '2026-11-20', pipelineId: '10', from: '2026-11-01', to: '2026-11-02', managerId: '101', minDays: '3', month: '2026-11', limit: '5',
    };
    const api = await serve(testConfig(), t.db);
    try {
      for (const [path, ops] of Object.entries(openapi.paths)) {
        const get = (ops as { get?: Operation }).get;
        const names = (get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
        if (!names.length) continue;
        const qs = names.map((n) => `${n}=${sample[n]}`).join('&');
        expect([path, (await api.get(`${path}?${qs}`)).status]).toEqual([path, 200]);
        expect([path, (await api.get(`${path}?${qs}&bogus=1`)).status]).toEqual([path, 400]);
      }
    } finally {
      await api.server.close();
    }
  });

  it('a board date is documented as stopping at today (a later one is 400); activity dates run to 9999-12-31', async () => {
    const dateOf = (path: keyof typeof openapi.paths, name: string) =>
      ((openapi.paths[path] as { get: Operation }).get.parameters ?? []).find((p) => p.name === name)?.schema?.description ?? '';
    const api = await serve(testConfig(), t.db);
    try {
      for (const path of ['/api/v1/kpi/managers', '/api/v1/kpi/department'] as const) {
        expect([path, dateOf(path, 'date')]).toEqual([path, expect.stringMatching(/to today in the account's time zone; a later date is 400/)]);
        expect([path, dateOf(path, 'date')]).toEqual([path, expect.not.stringContaining('9999')]);
        // AMOKPI_NOW of the fixture: 2026-11-27.
        expect([path, (await api.get(`${path}?date=2026-11-27`)).status, (await api.get(`${path}?date=2026-11-28`)).json.detail]).toEqual([path, 200, expect.stringMatching(/after today/)]);
      }
      expect(dateOf('/api/v1/kpi/activity', 'to')).toMatch(/to 9999-12-31/);
      expect((await api.get('/api/v1/kpi/activity?from=9999-12-01&to=9999-12-31')).status).toBe(200);
    } finally {
      await api.server.close();
    }
  });

  it('every plan edit documents the X-Amokpi-User header it records in the audit trail', async () => {
    const edits = operations().filter(({ method, path }) => method !== 'GET' && path.startsWith(`${API_PREFIX}/plans`));
    expect(edits.map(({ method, path }) => `${method} ${path}`).sort()).toEqual(['DELETE /api/v1/plans/{month}/{managerId}', 'PUT /api/v1/plans/{month}', 'PUT /api/v1/plans/{month}/{managerId}']);
    for (const { method, path, op } of edits) {
      expect([method, path, op.parameters]).toEqual([method, path, expect.arrayContaining([expect.objectContaining({ name: 'X-Amokpi-User', in: 'header' })])]);
    }
    const api = await serve(testConfig(), t.db);
    try {
      const headers = { 'x-amokpi-user': 'Olga' };
      expect((await api.call('PUT', '/api/v1/plans/2027-02/101', { token: ADMIN_TOKEN, body: { amount: 5 }, headers })).status).toBe(200);
      expect((await api.call('DELETE', '/api/v1/plans/2027-02/101', { token: ADMIN_TOKEN, headers })).status).toBe(204);
      const audit = await t.db.any("SELECT new_amount, changed_by FROM app.plan_audit WHERE month = '2027-02-01' ORDER BY id");
      expect(audit).toEqual([{ new_amount: 5, changed_by: 'api:Olga' }, { new_amount: null, changed_by: 'api:Olga' }]);
    } finally {
      await api.server.close();
    }
  });

  it('405, 431, 415 and 404 are documented (shared components) where they happen, and happen there', async () => {
    const responses = openapi.components.responses as Record<string, { content: Record<string, unknown> }>;
    /** The component a response refers to; every reference must resolve to a problem+json answer. */
    const component = (r: unknown) => {
      const name = /^#\/components\/responses\/(\w+)$/.exec((r as { $ref?: string } | undefined)?.$ref ?? '')?.[1];
      return name && responses[name]?.content['application/problem+json'] ? name : undefined;
    };
    const api = await serve(testConfig(), t.db);
    try {
      for (const { method, path, op } of operations().filter(({ path }) => path !== '/healthz')) {
        const at = `${method} ${path}`;
        expect([at, component(op.responses['405']), component(op.responses['431'])]).toEqual([at, 'MethodNotAllowed', 'RequestHeaderFieldsTooLarge']);
        if (op.requestBody) expect([at, component(op.responses['415'])]).toEqual([at, 'UnsupportedMediaType']);
        const hasPathParams = (op.parameters ?? []).some((p) => p.in === 'path');
        if (hasPathParams) expect([at, component(op.responses['404'])]).toEqual([at, 'NotFound']);

        const url = concrete(path);
        const other = ['GET', 'PUT', 'DELETE', 'POST'].find((m) => !(m.toLowerCase() in (openapi.paths as Record<string, object>)[path]!))!;
        const refused = await api.call(other, url, { token: ADMIN_TOKEN });
        expect([at, other, refused.status, refused.json?.title]).toEqual([at, other, 405, 'Method Not Allowed']);
        const long = await api.call(method, `${url}?pad=${'x'.repeat(17_000)}`, { token: ADMIN_TOKEN });
        expect([at, long.status, long.type, long.json?.title]).toEqual([at, 431, 'application/problem+json', 'Request Header Fields Too Large']);
        if (hasPathParams) {
          const lost = await api.call(method, `${url}/x/y`, { token: ADMIN_TOKEN });
          expect([at, lost.status, lost.json?.title]).toEqual([at, 404, 'Not Found']);
        }
        if (op.requestBody) {
          const text = await fetch(api.server.url + url, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/plain' }, body: '{}' });
          expect([at, text.status]).toEqual([at, 415]);
        }
      }
    } finally {
      await api.server.close();
    }
  });
});
