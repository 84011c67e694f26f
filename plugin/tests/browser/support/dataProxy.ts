import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import path from 'path';

/** plugin.json's routes[] entries (the fields this plugin uses; reference §4.1). */
export interface PluginRoute {
  path: string;
  method?: string;
  url: string;
  reqRole?: string;
  headers?: Array<{ name: string; content: string }>;
}

interface StoredSettings {
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>; // server-side only, like Grafana's encrypted secure_json_data
}

export interface UpstreamCall {
  method: string;
  url: string;
  /** What the browser sent to the proxy (must not carry the token). */
  incomingAuthorization?: string;
  /** What the proxy sent upstream after applying the route. */
  authorization?: string;
  status: number;
}

export interface DataProxy {
  url: string;
  calls: UpstreamCall[];
  close(): Promise<void>;
}

/** Go text/template's "{{ .JsonData.url }}" for the two maps Grafana passes; a missing key renders "<no value>" as in Go. */
export function interpolateRoute(template: string, data: { JsonData: Record<string, unknown>; SecureJsonData: Record<string, string> }): string {
  return template.replace(/\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*\}\}/g, (_m, map: 'JsonData' | 'SecureJsonData', key: string) => {
    const value = (data[map] as Record<string, unknown>)[key];
    return value === undefined || value === null ? '<no value>' : String(value);
  });
}

/** util.JoinURLFragments: exactly one slash between the parts. */
function joinUrl(a: string, b: string): string {
  if (!b) {
    return a;
  }
  return `${a.replace(/\/+$/, '')}/${b.replace(/^\/+/, '')}`;
}

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.svg': 'image/svg+xml' };

/**
 * A stand-in for the parts of Grafana a frontend data source touches: the data source settings API
 * (secureJsonData stored server-side, only secureJsonFields flags go back to the browser) and the data
 * proxy `/api/datasources/proxy/uid/<uid>/<path>`, which applies plugin.json's routes the way Grafana's
 * pluginproxy does: first route whose method and path prefix match, route URL and headers rendered from
 * jsonData/secureJsonData, the rest of the path joined on, an upstream 401 turned into
 * 400 "Authentication to data source failed", an unreachable upstream answered with 502.
 */
export async function startDataProxy(opts: {
  uid: string;
  type: string;
  routes: PluginRoute[];
  staticFiles: Record<string, string>; // URL path -> file
  staticDirs: Record<string, string>; // URL prefix -> directory
  /** Name resolution of Grafana's server, like a container's /etc/hosts: "amokpi:8080" -> "127.0.0.1:34567". */
  hosts?: Record<string, string>;
}): Promise<DataProxy> {
  const settings: StoredSettings = { jsonData: {}, secureJsonData: {} };
  const calls: UpstreamCall[] = [];
  const proxyPrefix = `/api/datasources/proxy/uid/${opts.uid}/`;
  const settingsPath = `/api/datasources/uid/${opts.uid}`;

  const publicSettings = () => ({
    id: 1,
    uid: opts.uid,
    orgId: 1,
    name: 'amokpi',
    type: opts.type,
    typeName: 'amokpi Sales KPI',
    access: 'proxy',
    url: '',
    jsonData: settings.jsonData,
    secureJsonFields: Object.fromEntries(Object.entries(settings.secureJsonData).map(([k, v]) => [k, v !== ''])),
    readOnly: false,
  });

  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (body += c));
      req.on('end', () => resolve(body));
      req.on('error', reject);
    });

  const send = (res: http.ServerResponse, status: number, body: string | Buffer, type = 'application/json') => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };

  async function proxy(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const proxyPath = url.pathname.slice(proxyPrefix.length);
    const method = req.method ?? 'GET';
    const route = opts.routes.find(
      (r) => (!r.method || r.method === '*' || r.method.split(',').map((m) => m.trim()).includes(method)) && proxyPath.startsWith(r.path)
    );
    if (!route) {
      return send(res, 404, JSON.stringify({ message: `no plugin route matches ${proxyPath}` }));
    }
    const data = { JsonData: settings.jsonData, SecureJsonData: settings.secureJsonData };
    const call: UpstreamCall = { method, url: '', incomingAuthorization: req.headers.authorization, status: 0 };
    calls.push(call);
    let target: URL;
    try {
      target = new URL(joinUrl(interpolateRoute(route.url, data), proxyPath.slice(route.path.length)));
      target.search = url.search;
    } catch {
      call.status = 502;
      return send(res, 502, '', 'text/plain');
    }
    const mapped = opts.hosts?.[target.host];
    if (mapped) {
      target.host = mapped;
    }
    call.url = target.toString();
    // Like Grafana: the browser's own credentials never travel upstream; the route's headers do.
    const headers: Record<string, string> = { Accept: String(req.headers.accept ?? 'application/json'), 'User-Agent': 'Grafana/12.4.10 (stand-in)' };
    for (const h of route.headers ?? []) {
      headers[h.name] = interpolateRoute(h.content, data);
    }
    call.authorization = headers.Authorization;
    let upstream: Response;
    try {
      upstream = await fetch(target, { method, headers, body: ['GET', 'HEAD'].includes(method) ? undefined : await readBody(req), redirect: 'manual' });
    } catch {
      call.status = 502;
      return send(res, 502, '', 'text/plain');
    }
    call.status = upstream.status;
    if (upstream.status === 401) {
      return send(res, 400, 'Authentication to data source failed', 'text/plain; charset=utf-8');
    }
    const body = Buffer.from(await upstream.arrayBuffer());
    return send(res, upstream.status, body, upstream.headers.get('content-type') ?? 'application/octet-stream');
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    (async () => {
      if (url.pathname.startsWith(proxyPrefix)) {
        return proxy(req, res, url);
      }
      if (url.pathname === settingsPath && req.method === 'GET') {
        return send(res, 200, JSON.stringify(publicSettings()));
      }
      if (url.pathname === settingsPath && req.method === 'PUT') {
        const body = JSON.parse((await readBody(req)) || '{}');
        settings.jsonData = body.jsonData ?? {};
        for (const [key, value] of Object.entries((body.secureJsonData ?? {}) as Record<string, string>)) {
          if (value) {
            settings.secureJsonData[key] = value;
          }
        }
        // A reset in the editor sends secureJsonFields.<key> = false with an empty value: forget the secret.
        for (const [key, configured] of Object.entries((body.secureJsonFields ?? {}) as Record<string, boolean>)) {
          if (!configured && !body.secureJsonData?.[key]) {
            delete settings.secureJsonData[key];
          }
        }
        return send(res, 200, JSON.stringify(publicSettings()));
      }
      const file = opts.staticFiles[url.pathname];
      if (file) {
        return send(res, 200, fs.readFileSync(file), CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream');
      }
      for (const [prefix, dir] of Object.entries(opts.staticDirs)) {
        const rel = url.pathname.startsWith(prefix) ? path.normalize(url.pathname.slice(prefix.length)) : undefined;
        if (rel && !rel.startsWith('..') && fs.existsSync(path.join(dir, rel))) {
          return send(res, 200, fs.readFileSync(path.join(dir, rel)), CONTENT_TYPES[path.extname(rel)] ?? 'application/octet-stream');
        }
      }
      return send(res, 404, JSON.stringify({ message: 'not found' }));
    })().catch((err) => send(res, 500, JSON.stringify({ message: String(err) })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
