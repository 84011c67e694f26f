import { startServer, type RunningServer } from '../../src/api/server';
import type { Config } from '../../src/config';
import type { Db } from '../../src/db';
import { createLogger, setLogger } from '../../src/log';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { API_TOKEN, seed, testConfig } from './fixture';

setLogger(createLogger({ level: 'silent' }));

/** A real server on a random port and a tiny JSON client for it. */
export async function serve(config: Config, db: Db) {
  const server: RunningServer = await startServer({ config, db });
  async function call(method: string, path: string, opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) {
    const token = opts.token === undefined ? API_TOKEN : opts.token;
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(server.url + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, type: res.headers.get('content-type') ?? '', json, text };
  }
  return { server, call, get: (path: string, token?: string | null) => call('GET', path, { token }) };
}

/**
 * Dropping a test database terminates the pool's connections that are still closing; the pool reports
 * that as an 'error' event which would fail the suite after every test passed. Teardown noise only.
 */
export function ignoreTeardownErrors(db: Db): void {
  db.$pool.on('error', () => {});
}

type Api = Awaited<ReturnType<typeof serve>>;

/** What an accessor reached for outside the suite's lifetime: a test-writing mistake, said plainly. */
function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} exists only inside tests (after beforeAll)`);
  return value;
}

/**
 * Registers the suite's beforeAll/afterAll: a fresh database holding the hand-built account, and with
 * `api: true` a real server over it. `t` and `api` can be destructured at describe time; their members
 * reach the live database and server once beforeAll has run.
 */
export function useSeededAccount(opts: { api?: boolean; config?: () => Config } = {}) {
  let current: TestDatabase | undefined;
  let server: Api | undefined;
  beforeAll(async () => {
    current = await createTestDatabase();
    ignoreTeardownErrors(current.db);
    await seed(current.db);
    if (opts.api) server = await serve((opts.config ?? testConfig)(), current.db);
  });
  afterAll(async () => {
    await server?.server.close();
    await current?.drop();
  });
  const t: TestDatabase = {
    get db() {
      return started(current, 'the seeded database').db;
    },
    get url() {
      return started(current, 'the seeded database').url;
    },
    drop: () => started(current, 'the seeded database').drop(),
  };
  const api: Api = {
    get server() {
      return started(server, 'the API server (useSeededAccount({ api: true }))').server;
    },
    call: (...args) => started(server, 'the API server (useSeededAccount({ api: true }))').call(...args),
    get: (...args) => started(server, 'the API server (useSeededAccount({ api: true }))').get(...args),
  };
  return { t, api };
}
