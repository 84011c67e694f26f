import { API_PREFIX, buildApp } from '../../src/api/server';
import { openapi } from '../../src/api/openapi';
import { ADMIN_TOKEN, testConfig } from '../kpi/fixture';
import { serve, useSeededAccount } from '../kpi/http';

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
      for (const op of documented()) {
        const [method, path] = op.split(' ') as [string, string];
        const concrete = path.replace('{month}', '2027-01').replace('{managerId}', '101');
        const r = await api.call(method, concrete, { token: ADMIN_TOKEN, body: method === 'PUT' ? { amount: 1 } : undefined });
        expect([op, r.status]).toEqual([op, expect.any(Number)]);
        expect([op, r.status < 300]).toEqual([op, true]);
      }
    } finally {
      await api.server.close();
    }
  });

  it('every documented query parameter is accepted and an undocumented one is refused', async () => {
    const sample: Record<string, string> = {
      date: '2026-11-20', pipelineId: '10', from: '2026-11-01', to: '2026-11-02', managerId: '101', minDays: '3', month: '2026-11', limit: '5',
    };
    const api = await serve(testConfig(), t.db);
    try {
      for (const [path, ops] of Object.entries(openapi.paths)) {
        const get = (ops as { get?: { parameters?: { name: string; in: string }[] } }).get;
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
});
