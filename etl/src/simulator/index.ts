import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { generateAccount } from './generate';
import { LiveActivity } from './live';
import { OAuthServer } from './oauth';
import { parsePhpQuery } from './query';
import { Rng } from './random';
import { Api } from './routes';
import { accountJson, eventJson, leadJson, noteJson, pipelineJson, taskJson, userJson } from './serialize';
import { RateLimiter, TrafficStats, type SimulatorStats } from './traffic';

export type { SimulatorStats } from './traffic';

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

export interface SimulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  token?: string | string[];
  /** managers = active managers (plus about a fifth more inactive ones and one admin). */
  size?: { managers?: number; pipelines?: number; months?: number; leads?: number };
  now?: string;
  timezone?: string;
  rps?: number;
  oauth?: { clientId: string; clientSecret: string; redirectUri: string };
  live?: boolean | { intervalMs?: number };
  faults?: SimulatorFaults;
  blocked?: boolean;
  subdomain?: string;
}

export interface SimDataset {
  account: object;
  users: object[];
  pipelines: object[];
  leads: object[];
  deletedLeads: object[];
  tasks: object[];
  events: object[];
  leadNotes: object[];
  contactNotes: object[];
}

export interface Simulator {
  url: string;
  port: number;
  stats(): SimulatorStats;
  resetStats(): void;
  setFaults(f: SimulatorOptions['faults']): void;
  setBlocked(b: boolean): void;
  setRps(rps: number): void;
  mutate(count: number): void;
  issueAuthCode(): string;
  expireAccessTokens(): void;
  dataset(): SimDataset;
  close(): Promise<void>;
}

const nginxPage = (code: number, text: string) =>
  `<html>\r\n<head><title>${code} ${text}</title></head>\r\n<body>\r\n<center><h1>${code} ${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

const DEFAULT_SIZE = { managers: 10, pipelines: 3, months: 12, leads: 3000 };

function validate(opts: SimulatorOptions) {
  const size = { ...DEFAULT_SIZE, ...opts.size };
  const bad = (what: string) => new Error(`simulator: ${what}`);
  if (!Number.isInteger(size.managers) || size.managers < 1) throw bad('size.managers must be a positive integer');
  if (!Number.isInteger(size.pipelines) || size.pipelines < 1 || size.pipelines > 50) throw bad('size.pipelines must be an integer 1-50');
  if (!(size.months > 0)) throw bad('size.months must be above 0');
  if (!Number.isInteger(size.leads) || size.leads < 0) throw bad('size.leads must be a non-negative integer');
  const nowMs = opts.now === undefined ? Date.now() : Date.parse(opts.now);
  if (Number.isNaN(nowMs)) throw bad(`now must be an ISO-8601 instant, got "${opts.now}"`);
  const rps = opts.rps ?? 7;
  if (!(rps >= 0)) throw bad('rps must be 0 (no limit) or above');
  const tokens = opts.token === undefined ? ['sim-token'] : Array.isArray(opts.token) ? opts.token : [opts.token];
  return { size, now: Math.floor(nowMs / 1000), rps, tokens };
}

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

/** Starts an in-process amoCRM v4 account simulator (see etl/src/simulator/README.md). */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const { size, now, rps, tokens } = validate(opts);
  const seed = opts.seed ?? 1;
  const subdomain = opts.subdomain ?? 'demo';
  const { store, clock } = generateAccount({ seed, ...size, now, timezone: opts.timezone ?? 'Europe/Moscow', subdomain });
  const api = new Api(store, clock, () => Math.floor(Date.now() / 1000));
  const live = new LiveActivity(store, new Rng(seed).fork('live'));
  const faultRng = new Rng(seed).fork('faults');
  const limiter = new RateLimiter(rps);
  const traffic = new TrafficStats();
  const staticTokens = new Set(tokens);
  let faults: SimulatorFaults = { ...opts.faults };
  let blocked = opts.blocked ?? false;
  let oauth: OAuthServer | undefined;
  let base = '';

  const server = http.createServer((req, res) => {
    const arrivedAt = Date.now();
    const url = new URL(req.url ?? '/', 'http://sim');
    const pathname = url.pathname;
    const rawQuery = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
    const send = (status: number, body: string | undefined, type?: string) => {
      const write = () => {
        traffic.record(pathname, status, arrivedAt);
        const headers: Record<string, string> = { 'X-Request-Id': randomBytes(8).toString('hex') };
        if (body !== undefined && type) headers['Content-Type'] = type;
        res.writeHead(status, headers);
        res.end(body);
      };
      if (faults.latencyMs && faults.latencyMs > 0) setTimeout(write, faults.latencyMs);
      else write();
    };
    const problem = (status: number, title: string, detail: string) =>
      send(status, JSON.stringify({ title, type: `https://httpstatus.es/${status}`, status, detail }), 'application/problem+json');

    void (async () => {
      if (blocked) return send(403, nginxPage(403, 'Forbidden'), 'text/html');
      if (pathname === '/oauth2/access_token') {
        if (req.method !== 'POST') return problem(405, 'Method Not Allowed', 'Use POST');
        const body = await readBody(req);
        if (!body) return problem(400, 'Bad Request', 'The body must be a JSON object');
        if (!oauth) return problem(404, 'Not Found', 'OAuth is not enabled on this simulator');
        const answer = oauth.exchange(body);
        return send(answer.status, JSON.stringify(answer.body), answer.problem ? 'application/problem+json' : 'application/json');
      }
      if (pathname === '/oauth2/account/current/subdomain') {
        // where a (possibly renamed) account lives now, found by its refresh token (reference §1.3)
        const refresh = String(req.headers['x-refresh-token'] ?? '');
        if (!oauth || !oauth.knowsRefreshToken(refresh)) return problem(401, 'Unauthorized', 'Unknown refresh token');
        const [, host] = /^https?:\/\/([^/]+)/.exec(base) ?? [];
        const body = { id: store.account.id, subdomain, domain: host ?? `${subdomain}.amocrm.ru`, top_level_domain: 'ru' };
        return send(200, JSON.stringify(body), 'application/json');
      }
      if (!pathname.startsWith('/api/v4/')) return problem(404, 'Not Found', `No route ${pathname}`);
      const auth = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
      const token = auth?.[1];
      if (!limiter.admit(token ?? `anonymous:${req.socket.remoteAddress}`, arrivedAt)) {
        return send(429, nginxPage(429, 'Too Many Requests'), 'text/html');
      }
      if (!token || !(staticTokens.has(token) || oauth?.isValidAccessToken(token))) {
        return problem(401, 'Unauthorized', token ? 'Токен доступа недействителен или истёк' : 'Не передан токен доступа');
      }
      if (faults.errorRate && faultRng.chance(faults.errorRate)) {
        const code = faultRng.pick([500, 502, 504]);
        if (code === 500) return problem(500, 'Internal Server Error', 'Simulated server error');
        return send(code, nginxPage(code, code === 502 ? 'Bad Gateway' : 'Gateway Time-out'), 'text/html');
      }
      const query = parsePhpQuery(rawQuery);
      if (faults.ignoreFilters) delete query.filter;
      // links name the host the client used (e.g. http://simulator:8090 inside docker compose)
      const origin = req.headers.host ? `http://${req.headers.host}` : base;
      const result = api.handle(req.method ?? 'GET', { base: origin, pathname, rawQuery, query });
      if (result.status === 204) return send(204, undefined);
      if (result.status !== 200) {
        const titles = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed' } as const;
        return problem(result.status, titles[result.status], result.detail);
      }
      const malformed = faults.malformedPath !== undefined && faults.malformedPath === pathname;
      send(200, malformed ? malform(result.json, faults.malformedKind ?? 'json') : JSON.stringify(result.json), 'application/hal+json');
    })().catch((err: unknown) => {
      problem(500, 'Internal Server Error', err instanceof Error ? err.message : String(err));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  oauth = opts.oauth ? new OAuthServer(opts.oauth, `${subdomain}.amocrm.ru`) : undefined;

  const liveNow = () => Math.floor(Date.now() / 1000);
  let timer: NodeJS.Timeout | undefined;
  if (opts.live) {
    const intervalMs = typeof opts.live === 'object' && opts.live.intervalMs ? opts.live.intervalMs : 2000;
    timer = setInterval(() => live.mutate(1, liveNow()), intervalMs);
    timer.unref();
  }

  return {
    url: base,
    port,
    stats: () => traffic.snapshot(),
    resetStats: () => traffic.reset(),
    setFaults: (f) => {
      faults = { ...f };
    },
    setBlocked: (b) => {
      blocked = b;
    },
    setRps: (n) => {
      if (!(n >= 0)) throw new Error('simulator: rps must be 0 (no limit) or above');
      limiter.rps = n;
    },
    mutate: (count) => {
      live.mutate(count, liveNow());
    },
    issueAuthCode: () => {
      if (!oauth) throw new Error('simulator: OAuth is not configured (pass the oauth option)');
      return oauth.issueAuthCode();
    },
    expireAccessTokens: () => oauth?.expireAccessTokens(),
    dataset: () => {
      const all = new Set(['contacts']);
      const leads = [...store.leads.values()].sort((a, b) => a.id - b.id);
      const notes = (parent: 'leads' | 'contacts') => [...store.notes[parent].values()].sort((a, b) => a.id - b.id).map((n) => noteJson(n, store.account.id, base));
      // serializers build fresh objects: these are deep copies already
      return {
        account: accountJson(store, clock, base, new Set(['datetime_settings', 'users_groups', 'task_types']), liveNow()),
        users: [...store.users].sort((a, b) => a.id - b.id).map((u) => userJson(u, base)),
        pipelines: store.pipelines.map((p) => pipelineJson(p, store.account.id, base)),
        leads: leads.filter((l) => l.state === 'active').map((l) => leadJson(store, l, base, all)),
        deletedLeads: leads.filter((l) => l.state === 'trash').map((l) => leadJson(store, l, base, all)),
        tasks: [...store.tasks.values()].sort((a, b) => a.id - b.id).map((t) => taskJson(t, store.account.id, base)),
        events: [...store.eventsAsc()].reverse().map((e) => eventJson(e, store.account.id, base)),
        leadNotes: notes('leads'),
        contactNotes: notes('contacts'),
      };
    },
    close: async () => {
      if (timer) clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
