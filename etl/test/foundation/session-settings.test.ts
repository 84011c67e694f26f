import os from 'node:os';
import { openDatabase, pgp, sessionConnection, type Database } from '../../src/db';
import { closePool } from '../../src/db/close';
import { GRAFANA_DB_ROLE } from '../../src/grafana/dbRole';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * A database the migrations could not alter (not its owner) keeps JIT and parallel workers on: the ETL's own
 * sessions and the Grafana role's turn both off anyway (a KPI query with JIT took 470 ms instead of 29 at 1M leads).
 */
describe('KPI sessions run without JIT or parallel workers, whatever the database says', () => {
  let t: TestDatabase;
  let opened: Database;
  const show = async (db: Pick<Database['db'], 'one'>, name: string) => (await db.one<{ v: string }>(`SELECT current_setting($1) AS v`, [name])).v;
  /** [jit, max_parallel_workers_per_gather] as a session sees them. */
  const settings = (db: Pick<Database['db'], 'one'>) => Promise.all([show(db, 'jit'), show(db, 'max_parallel_workers_per_gather')]);
  /** The same, in a session of its own on url (a one-connection pool, closed after). */
  const settingsAt = async (url: string) => {
    const own = pgp({ connectionString: url, max: 1 });
    try {
      return await settings(own);
    } finally {
      await closePool(own);
    }
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    const { name } = await t.db.one<{ name: string }>('SELECT current_database() AS name');
    // As if migration 0003 had not been allowed to alter the database.
    await t.db.none('ALTER DATABASE $1:name SET jit = on', [name]);
    await t.db.none('ALTER DATABASE $1:name SET max_parallel_workers_per_gather = 2', [name]);
    opened = await openDatabase({ databaseUrl: t.url, dataDir: os.tmpdir() });
  });
  afterAll(async () => {
    await opened?.close();
    await t.drop();
  });

  it('a plain session gets the database settings; the ETL pool turns them off', async () => {
    expect(await settingsAt(t.url)).toEqual(['on', '2']);
    // every connection of the pool, not only the first
    const seen = await Promise.all(Array.from({ length: 4 }, () => opened.db.task(settings)));
    expect(seen).toEqual(Array.from({ length: 4 }, () => ['off', '0']));
  });

  it("a DATABASE_URL with its own `options` keeps them and still gets the KPI settings (the URL's win where both set one)", async () => {
    const url = new URL(t.url);
    url.searchParams.set('options', '-c statement_timeout=4321 -c max_parallel_workers_per_gather=1');
    url.searchParams.set('application_name', 'from-the-url');
    const own = await openDatabase({ databaseUrl: url.toString(), dataDir: os.tmpdir() });
    try {
      const seen = await own.db.task((s) => Promise.all([settings(s), show(s, 'statement_timeout'), show(s, 'application_name')]));
      expect(seen).toEqual([['off', '1'], '4321ms', 'from-the-url']);
    } finally {
      await own.close();
    }
    // A URL the WHATWG parser cannot read (libpq's socket form) is left to pg, with the KPI options.
    expect(sessionConnection('/var/run/postgresql amokpi')).toEqual({ connectionString: '/var/run/postgresql amokpi', options: '-c jit=off -c max_parallel_workers_per_gather=0' });
  });

  it("the Grafana role's sessions too (migration 0014: role settings win over the database's)", async () => {
    const settings = await t.db.one<{ config: string[] | null }>(
      `SELECT s.setconfig AS config FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
        WHERE r.rolname = $1 AND s.setdatabase = 0`,
      [GRAFANA_DB_ROLE],
    );
    expect(settings.config).toEqual(expect.arrayContaining(['jit=off', 'max_parallel_workers_per_gather=0']));
    const url = new URL(t.url);
    url.username = GRAFANA_DB_ROLE;
    expect(await settingsAt(url.toString())).toEqual(['off', '0']);
  });
});
