import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * A stand-in for the parts of Grafana's HTTP API that `amokpi grafana setup` uses, strict about request
 * shapes: a malformed request is answered 400 and recorded in `violations`, which every test asserts empty.
 */
export interface FakeGrafanaOptions {
  version?: string;
  token?: string;
  /** App-platform playlist API versions served; [] = only the legacy /api/playlists. */
  apis?: ('v1' | 'v0alpha1')[];
  datasources?: { uid: string; type: string }[];
  dashboards?: string[];
  alertRules?: string[];
  pluginLoaded?: boolean;
  orgId?: number;
  /**
   * `[auth.anonymous] hide_version = true`: /api/health leaves out version and commit. /api/frontend/settings
   * still names the version to a signed-in caller (buildInfo.version), unless `settingsVersion` says otherwise.
   */
  hideVersion?: boolean;
  /** buildInfo.version of /api/frontend/settings (default: `version`); '' = blank, as to an anonymous caller. */
  settingsVersion?: string;
}

export interface StoredPlaylist {
  uid: string;
  title: string;
  interval: string;
  items: { type: string; value: string }[];
  resourceVersion: number;
  via: string;
}

export interface FakeGrafana {
  url: string;
  requests: { method: string; path: string; body: unknown }[];
  violations: string[];
  playlists: Map<string, StoredPlaylist>;
  close(): Promise<void>;
}

const item = z.object({ type: z.enum(['dashboard_by_uid', 'dashboard_by_tag', 'dashboard_by_id']), value: z.string().min(1) }).strict();
const spec = z.object({ title: z.string().min(1), interval: z.string().regex(/^\d+[smh]$/), items: z.array(item).min(1) }).strict();
const resourceBody = (version: string) =>
  z.object({
    apiVersion: z.literal(`playlist.grafana.app/${version}`),
    kind: z.literal('Playlist'),
    metadata: z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/), resourceVersion: z.string().optional() }).passthrough(),
    spec,
  });
const legacyBody = z.object({ name: z.string().min(1), interval: z.string().regex(/^\d+[smh]$/), items: z.array(item).min(1) }).strict();

export async function startFakeGrafana(opts: FakeGrafanaOptions = {}): Promise<FakeGrafana> {
  const o = {
    version: '12.4.0',
    token: 'glsa_test_token_123456',
    apis: ['v1', 'v0alpha1'] as ('v1' | 'v0alpha1')[],
    datasources: [
      { uid: 'amokpi', type: 'amokpi-sales-datasource' },
      { uid: 'amokpi-postgres', type: 'grafana-postgresql-datasource' },
    ],
    dashboards: ['amokpi-today', 'amokpi-department', 'amokpi-history', 'amokpi-etl'],
    alertRules: ['amokpi-overdue-tasks', 'amokpi-leads-without-tasks', 'amokpi-stale-data'],
    pluginLoaded: true,
    orgId: 1,
    hideVersion: false,
    ...opts,
  };
  const settingsVersion = opts.settingsVersion ?? o.version;
  const requests: FakeGrafana['requests'] = [];
  const violations: string[] = [];
  const playlists = new Map<string, StoredPlaylist>();
  let legacySeq = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const method = req.method ?? 'GET';
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const bad = (why: string) => {
        violations.push(`${method} ${url.pathname}: ${why}`);
        send(400, { message: why });
      };
      if (raw) {
        if (req.headers['content-type'] !== 'application/json') return bad('body without content-type application/json');
        try {
          body = JSON.parse(raw);
        } catch {
          return bad('body is not JSON');
        }
      }
      requests.push({ method, path: url.pathname + url.search, body });

      if (method === 'GET' && url.pathname === '/api/health') {
        return send(200, o.hideVersion ? { database: 'ok' } : { commit: 'abc', database: 'ok', version: o.version });
      }
      if (req.headers.authorization !== `Bearer ${o.token}`) return send(401, { message: 'invalid API key' });

      if (method === 'GET' && url.pathname === '/api/frontend/settings') {
        return send(200, { appUrl: 'http://localhost:3000/', buildInfo: { version: settingsVersion, commit: settingsVersion ? 'abc' : '', env: 'production', edition: 'Open Source' } });
      }

      if (method === 'GET' && url.pathname === '/api/org') return send(200, { id: o.orgId, name: 'Main Org.' });
      let m = /^\/api\/plugins\/([^/]+)\/settings$/.exec(url.pathname);
      if (m && method === 'GET') return o.pluginLoaded && m[1] === 'amokpi-sales-datasource' ? send(200, { id: m[1], enabled: true }) : send(404, { message: 'Plugin not found' });
      m = /^\/api\/datasources\/uid\/([^/]+)$/.exec(url.pathname);
      if (m && method === 'GET') {
        const ds = o.datasources.find((d) => d.uid === decodeURIComponent(m![1]!));
        return ds ? send(200, { ...ds, name: ds.uid, access: 'proxy' }) : send(404, { message: 'Data source not found' });
      }
      m = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(url.pathname);
      if (m && method === 'GET') {
        const uid = decodeURIComponent(m[1]!);
        return o.dashboards.includes(uid) ? send(200, { dashboard: { uid, title: `title of ${uid}` }, meta: {} }) : send(404, { message: 'Dashboard not found' });
      }
      m = /^\/api\/v1\/provisioning\/alert-rules\/([^/]+)$/.exec(url.pathname);
      if (m && method === 'GET') return o.alertRules.includes(decodeURIComponent(m[1]!)) ? send(200, { uid: m[1] }) : send(404, { message: 'not found' });

      m = /^\/apis\/playlist\.grafana\.app\/([^/]+)\/namespaces\/([^/]+)\/playlists(?:\/([^/]+))?$/.exec(url.pathname);
      if (m) {
        const [, version, ns, name] = m;
        if (!o.apis.includes(version as 'v1')) return send(404, { message: 'Not found' });
        const expectedNs = o.orgId === 1 ? 'default' : `org-${o.orgId}`;
        if (ns !== expectedNs) return bad(`namespace ${ns}, expected ${expectedNs}`);
        const asResource = (p: StoredPlaylist) => ({
          apiVersion: `playlist.grafana.app/${version}`,
          kind: 'Playlist',
          metadata: { name: p.uid, namespace: ns, resourceVersion: String(p.resourceVersion), uid: `k8s-${p.uid}` },
          spec: { title: p.title, interval: p.interval, items: p.items },
        });
        const notFound = () => send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', message: `playlists.playlist.grafana.app "${name}" not found`, code: 404 });
        if (!name && method === 'GET') return send(200, { kind: 'PlaylistList', apiVersion: `playlist.grafana.app/${version}`, items: [...playlists.values()].map(asResource) });
        if (!name && method === 'POST') {
          const p = resourceBody(version!).safeParse(body);
          if (!p.success) return bad(`invalid playlist resource: ${p.error.message}`);
          if (playlists.has(p.data.metadata.name)) return send(409, { kind: 'Status', reason: 'AlreadyExists', message: 'already exists', code: 409 });
          const stored = { uid: p.data.metadata.name, ...p.data.spec, resourceVersion: 1, via: `apis/${version}` };
          playlists.set(stored.uid, stored);
          return send(201, asResource(stored));
        }
        if (name && method === 'GET') {
          const p = playlists.get(name);
          return p ? send(200, asResource(p)) : notFound();
        }
        if (name && method === 'PUT') {
          const p = resourceBody(version!).safeParse(body);
          if (!p.success) return bad(`invalid playlist resource: ${p.error.message}`);
          const cur = playlists.get(name);
          if (!cur) return notFound();
          if (p.data.metadata.name !== name) return bad('metadata.name differs from the URL');
          if (p.data.metadata.resourceVersion !== String(cur.resourceVersion)) {
            return send(409, { kind: 'Status', reason: 'Conflict', message: 'the object has been modified', code: 409 });
          }
          const stored = { ...cur, ...p.data.spec, resourceVersion: cur.resourceVersion + 1 };
          playlists.set(name, stored);
          return send(200, asResource(stored));
        }
        return send(405, { message: 'method not allowed' });
      }

      if (url.pathname === '/api/playlists' && method === 'GET') {
        const q = url.searchParams.get('query') ?? '';
        return send(200, [...playlists.values()].filter((p) => p.via === 'legacy' && p.title.includes(q)).map((p) => ({ id: 1, uid: p.uid, name: p.title, interval: p.interval })));
      }
      if (url.pathname === '/api/playlists' && method === 'POST') {
        const p = legacyBody.safeParse(body);
        if (!p.success) return bad(`invalid legacy playlist: ${p.error.message}`);
        const uid = `gen${++legacySeq}x${Math.random().toString(36).slice(2, 8)}`;
        playlists.set(uid, { uid, title: p.data.name, interval: p.data.interval, items: p.data.items, resourceVersion: 1, via: 'legacy' });
        return send(200, { id: legacySeq, uid, name: p.data.name, interval: p.data.interval });
      }
      m = /^\/api\/playlists\/([^/]+)$/.exec(url.pathname);
      if (m) {
        const cur = playlists.get(m[1]!);
        if (!cur || cur.via !== 'legacy') return send(404, { message: 'Playlist not found' });
        if (method === 'GET') {
          return send(200, { id: 1, uid: cur.uid, name: cur.title, interval: cur.interval, items: cur.items.map((i, n) => ({ id: n + 1, playlistUid: cur.uid, order: n + 1, title: '', ...i })) });
        }
        if (method === 'PUT') {
          const p = legacyBody.safeParse(body);
          if (!p.success) return bad(`invalid legacy playlist: ${p.error.message}`);
          playlists.set(cur.uid, { ...cur, title: p.data.name, interval: p.data.interval, items: p.data.items, resourceVersion: cur.resourceVersion + 1 });
          return send(200, { uid: cur.uid, name: p.data.name, interval: p.data.interval });
        }
      }
      return send(404, { message: 'Not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    violations,
    playlists,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
