import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { OAuthServer } from './oauth';
import { parsePhpQuery } from './query';
import type { Rng } from './random';
import type { Api } from './routes';
import type { RateLimiter, TrafficStats } from './traffic';

export interface SimulatorFaults {
  /** Share of /api/v4 requests answered 500/502/504 (0..1). */
  errorRate?: number;
  /** Added to every answer. */
  latencyMs?: number;
  /** Pathname (e.g. "/api/v4/leads") whose 200 answers are malformed. */
  malformedPath?: string;
  /** 'json' (default): truncated, invalid JSON; 'type': the first item's updated_at/created_at becomes a string. */
  malformedKind?: 'json' | 'type';
  /** Ignore every filter[...] (an account without "API filtering"): clients must validate locally. */
  ignoreFilters?: boolean;
}

/** Switchable behaviour of a running simulator. */
export interface HttpState {
  faults: SimulatorFaults;
  blocked: boolean;
}

export interface HttpDeps {
  api: Api;
  accountId: number;
  subdomain: string;
  oauth: OAuthServer | undefined;
  staticTokens: Set<string>;
  limiter: RateLimiter;
  traffic: TrafficStats;
  faultRng: Rng;
  state: HttpState;
}

const nginxPage = (code: number, text: string) =>
  `<html>\r\n<head><title>${code} ${text}</title></head>\r\n<body>\r\n<center><h1>${code} ${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > 64 * 1024) return undefined;
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = String(req.headers['content-type'] ?? '');
  try {
    if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Breaks a successful JSON answer the way a flaky upstream might. */
function malform(json: unknown, kind: 'json' | 'type'): string {
  const text = JSON.stringify(json);
  if (kind === 'json') return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  const obj = json as Record<string, unknown>;
  const embedded = obj._embedded as Record<string, unknown[]> | undefined;
  const list = embedded ? Object.values(embedded).find(Array.isArray) : undefined;
  const target = (list?.[0] ?? obj) as Record<string, unknown>;
  if ('updated_at' in target) target.updated_at = 'вчера';
  else if ('created_at' in target) target.created_at = 'вчера';
  else target.id = 'not-a-number';
  return JSON.stringify(json);
}

/**
 * One HTTP exchange, in amoCRM's order of checks: block (403 HTML, everything) → OAuth endpoints →
 * per-token rate limit (429 HTML) → bearer auth (401) → injected faults → the API itself.
 */
export function handleRequest(deps: HttpDeps, req: http.IncomingMessage, res: http.ServerResponse): void {
  const { state } = deps;
  const arrivedAt = Date.now();
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const pathname = new URL(q < 0 ? rawUrl : rawUrl.slice(0, q), 'http://sim').pathname;
  const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
  // links name the host the client used (e.g. http://simulator:8090 inside docker compose)
  const origin = `http://${req.headers.host ?? `127.0.0.1:${req.socket.localPort}`}`;

  const send = (status: number, body: string | undefined, type?: string) => {
    const write = () => {
      deps.traffic.record(pathname, status, arrivedAt);
      const headers: Record<string, string> = { 'X-Request-Id': randomBytes(8).toString('hex') };
      if (body !== undefined && type) headers['Content-Type'] = type;
      res.writeHead(status, headers);
      res.end(body);
    };
    const delay = state.faults.latencyMs ?? 0;
    if (delay > 0) setTimeout(write, delay);
    else write();
  };
  const problem = (status: number, title: string, detail: string) =>
    send(status, JSON.stringify({ title, type: `https://httpstatus.es/${status}`, status, detail }), 'application/problem+json');

  const run = async () => {
    if (state.blocked) return send(403, nginxPage(403, 'Forbidden'), 'text/html');
    if (pathname === '/oauth2/access_token') {
      if (req.method !== 'POST') return problem(405, 'Method Not Allowed', 'Use POST');
      const body = await readBody(req);
      if (!body) return problem(400, 'Bad Request', 'The body must be a JSON object');
      if (!deps.oauth) return problem(404, 'Not Found', 'OAuth is not enabled on this simulator');
      const answer = deps.oauth.exchange(body);
      return send(answer.status, JSON.stringify(answer.body), answer.problem ? 'application/problem+json' : 'application/json');
    }
    if (pathname === '/oauth2/account/current/subdomain') {
      // where a (possibly renamed) account lives now, found by its refresh token (reference §1.3)
      const refresh = String(req.headers['x-refresh-token'] ?? '');
      if (!deps.oauth?.knowsRefreshToken(refresh)) return problem(401, 'Unauthorized', 'Unknown refresh token');
      const body = { id: deps.accountId, subdomain: deps.subdomain, domain: origin.replace(/^http:\/\//, ''), top_level_domain: 'ru' };
      return send(200, JSON.stringify(body), 'application/json');
    }
    if (!pathname.startsWith('/api/v4/')) return problem(404, 'Not Found', `No route ${pathname}`);

    const token = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!deps.limiter.admit(token ?? `anonymous:${req.socket.remoteAddress}`, arrivedAt)) {
      return send(429, nginxPage(429, 'Too Many Requests'), 'text/html');
    }
    if (!token || !(deps.staticTokens.has(token) || deps.oauth?.isValidAccessToken(token))) {
      return problem(401, 'Unauthorized', token ? 'Токен доступа недействителен или истёк' : 'Не передан токен доступа');
    }
    const { faults } = state;
    if (faults.errorRate && deps.faultRng.chance(faults.errorRate)) {
      const code = deps.faultRng.pick([500, 502, 504]);
      if (code === 500) return problem(500, 'Internal Server Error', 'Simulated server error');
      return send(code, nginxPage(code, code === 502 ? 'Bad Gateway' : 'Gateway Time-out'), 'text/html');
    }
    const query = parsePhpQuery(rawQuery);
    if (faults.ignoreFilters) delete query.filter;
    const result = deps.api.handle(req.method ?? 'GET', { base: origin, pathname, rawQuery, query });
    if (result.status === 204) return send(204, undefined);
    if (result.status !== 200) {
      const titles = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed' } as const;
      return problem(result.status, titles[result.status], result.detail);
    }
    const malformed = faults.malformedPath !== undefined && faults.malformedPath === pathname;
    send(200, malformed ? malform(result.json, faults.malformedKind ?? 'json') : JSON.stringify(result.json), 'application/hal+json');
  };
  run().catch((err: unknown) => problem(500, 'Internal Server Error', err instanceof Error ? err.message : String(err)));
}
