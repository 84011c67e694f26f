import { randomBytes } from 'node:crypto';
import { pgp, type Db } from '../../src/db/pgp';
import { closePool } from '../../src/db/close';
import { ADMIN_URL_ENV, TEMPLATE_DB } from './paths';

export interface TestDatabase {
  db: Db;
  url: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env[ADMIN_URL_ENV];
  if (!url) throw new Error(`${ADMIN_URL_ENV} is not set: run tests through jest (test/support/global-setup.ts)`);
  return url;
}

let admin: Db | undefined;

/** A fresh, fully migrated (or, with empty, unmigrated) database cloned from the run's template: real Postgres, isolated per test file. */
export async function createTestDatabase(opts: { empty?: boolean } = {}): Promise<TestDatabase> {
  const base = adminUrl();
  admin ??= pgp({ connectionString: base, max: 2 });
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin.none('CREATE DATABASE $1:name TEMPLATE $2:name', [name, opts.empty ? 'template0' : TEMPLATE_DB]);
  const url = base.replace(/\/postgres$/, `/${name}`);
  // The name as database context: pg-promise masks everything after the first ':' of a password-less URL as if it
  // were a password, so two test databases with names of equal length looked like one connection made twice.
  const db = pgp({ connectionString: url, max: 5 }, name);
  return {
    db,
    url,
    async drop() {
      await closePool(db);
      // A plain DROP first: FORCE would kill sessions that code under test still holds, and their pools
      // would raise unhandled errors after the test passed. Only a leaked session gets forced out.
      for (let attempt = 0; ; attempt++) {
        try {
          await admin!.none(attempt < 15 ? 'DROP DATABASE IF EXISTS $1:name' : 'DROP DATABASE IF EXISTS $1:name WITH (FORCE)', [name]);
          return;
        } catch (err) {
          if (attempt >= 15) throw err;
          await new Promise((r) => setTimeout(r, 200)); // sessions of ended pools are still closing
        }
      }
    },
  };
}
