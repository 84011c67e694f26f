import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateAccount } from './generate';
import { LiveActivity } from './live';
import { OAuthServer } from './oauth';
import { handleRequest, type HttpDeps, type HttpState, type SimulatorFaults } from './http';
import { Rng } from './random';
import { Api } from './routes';
import { accountJson, eventJson, leadJson, noteJson, pipelineJson, taskJson, userJson } from './serialize';
import { RateLimiter, TrafficStats, type SimulatorStats } from './traffic';

export type { SimulatorStats } from './traffic';
export type { SimulatorFaults } from './http';

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

/** Starts an in-process amoCRM v4 account simulator (see etl/src/simulator/README.md). */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const { size, now, rps, tokens } = validate(opts);
  const seed = opts.seed ?? 1;
  const subdomain = opts.subdomain ?? 'demo';
  const { store, clock } = generateAccount({ seed, ...size, now, timezone: opts.timezone ?? 'Europe/Moscow', subdomain });
  const live = new LiveActivity(store, new Rng(seed).fork('live'));
  const limiter = new RateLimiter(rps);
  const traffic = new TrafficStats();

  const state: HttpState = { faults: { ...opts.faults }, blocked: opts.blocked ?? false };
  const oauth = opts.oauth ? new OAuthServer(opts.oauth, `${subdomain}.amocrm.ru`) : undefined;
  const deps: HttpDeps = {
    api: new Api(store, clock, () => Math.floor(Date.now() / 1000)),
    accountId: store.account.id,
    subdomain,
    oauth,
    staticTokens: new Set(tokens),
    limiter,
    traffic,
    faultRng: new Rng(seed).fork('faults'),
    state,
  };
  const server = http.createServer((req, res) => handleRequest(deps, req, res));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

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
      state.faults = { ...f };
    },
    setBlocked: (b) => {
      state.blocked = b;
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
