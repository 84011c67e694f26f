import type { AmoApi, PageOptions, Query } from '../../src/amocrm/api';
import { createLogger, setLogger } from '../../src/log';
import { runSync } from '../../src/sync/engine';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { dropQuietly, testConfig } from './support';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * An account whose token sees less than an admin's (reference 4.3: full user data is admin-only in some
 * accounts) and whose account answer lacks datetime_settings: the sync stores what it can and says what to do.
 */
function partialAccount(): AmoApi {
  let requests = 0;
  return {
    async get<T>(path: string): Promise<T | null> {
      requests++;
      return (path === '/api/v4/account' ? { id: 77, name: 'Acme', subdomain: 'acme', currency: 'RUB' } : null) as T | null;
    },
    async *pages<T>(path: string, _q: Query, opts: PageOptions<T>): AsyncGenerator<T[], void, undefined> {
      requests++;
      if (path !== '/api/v4/users') return;
      const users = [
        { id: 1, name: 'Admin', email: 'a@example.com', rights: { is_active: true, is_admin: true } },
        { id: 2, name: 'Gone', email: null, rights: { is_active: false } },
        { id: 3, name: 'Seen without rights', email: null },
        { id: 4, name: 'Empty rights', rights: {} },
      ];
      yield users.map((u) => opts.item.parse(u));
    },
    stats: () => ({ requests, throttled: 0, retried: 0 }),
  };
}

describe('reference data from an account that tells less', () => {
  let t: TestDatabase;
  const lines: any[] = [];
  beforeAll(async () => {
    t = await createTestDatabase();
    setLogger(createLogger({ level: 'info', pretty: false, destination: { write: (l: string) => lines.push(JSON.parse(l)) } as never }));
  });
  afterAll(async () => {
    setLogger(createLogger({ level: 'silent' }));
    await dropQuietly(t);
  });

  it('users without rights are stored as active with a warning; an account without a time zone stores UTC and names AMOKPI_TIMEZONE', async () => {
    const results = await runSync({ db: t.db, config: testConfig(), api: partialAccount(), mode: 'incremental', streams: ['account', 'users'] });
    expect(results.map((r) => [r.stream, r.error ?? 'ok', r.upserted])).toEqual([['account', 'ok', 1], ['users', 'ok', 4]]);
    expect(await t.db.map('SELECT id, is_active FROM amo.users ORDER BY id', [], (r: any) => [r.id, r.is_active])).toEqual([[1, true], [2, false], [3, true], [4, true]]);
    expect(await t.db.one('SELECT timezone FROM amo.account')).toEqual({ timezone: 'UTC' });
    const warns = lines.filter((l) => l.level === 40);
    expect(warns.find((l) => /time zone/.test(l.msg))?.msg).toMatch(/AMOKPI_TIMEZONE/);
    expect(warns.find((l) => /rights\.is_active/.test(l.msg))).toMatchObject({ users: 2, of: 4 });
  });
});
