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

/**
 * Registers the suite's beforeAll/afterAll: a fresh database holding the hand-built account, and with
 * `api: true` a real server over it. Returns getters, valid inside tests.
 */
export function useSeededAccount(opts: { api?: boolean; config?: () => Config } = {}) {
  let t: TestDatabase | undefined;
  let api: Awaited<ReturnType<typeof serve>> | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
    ignoreTeardownErrors(t.db);
    await seed(t.db);
    if (opts.api) api = await serve((opts.config ?? testConfig)(), t.db);
  });
  afterAll(async () => {
    await api?.server.close();
    await t?.drop();
  });
  return { db: () => t!, api: () => api! };
}
