import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { pgp } from '../../src/db/pgp';
import { scramVerifier, setGrafanaRolePassword } from '../../src/grafana/dbRole';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ignoreTerminationOnDrop } from './files';
import { ADMIN_URL_ENV } from '../support/paths';
import { startFakeGrafana } from './fakeGrafana';
import { closePool } from '../../src/db/close';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../bin/amokpi.js');
const MIGRATION = path.resolve(__dirname, '../../migrations/0009_grafana_role.sql');

/** The Up section of 0009 with the role renamed, so that its guards can be exercised without touching the shared role. */
function upSectionFor(role: string): string {
  const text = fs.readFileSync(MIGRATION, 'utf8');
  const up = text.split('-- Down Migration')[0]!.replace('-- Up Migration', '');
  return up.replaceAll('amokpi_grafana', role);
}

async function storedVerifier(db: TestDatabase['db'], role: string): Promise<string> {
  return (await db.one('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])).rolpassword;
}

describe('0009_grafana_role and the role password', () => {
  let t: TestDatabase;
  const admin = () => pgp({ connectionString: process.env[ADMIN_URL_ENV]!, max: 1 });

  beforeAll(async () => {
    t = await createTestDatabase();
    ignoreTerminationOnDrop(t.db);
  });
  afterAll(() => t.drop());

  it('our SCRAM-SHA-256 verifier equals the one Postgres computes for the same password and salt', async () => {
    const role = `amokpi_scram_${randomBytes(4).toString('hex')}`;
    await t.db.none(`SET password_encryption = 'scram-sha-256'; CREATE ROLE ${role} LOGIN PASSWORD 'correct horse battery'`);
    try {
      const pg = await storedVerifier(t.db, role);
      const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(pg)!;
      expect(scramVerifier('correct horse battery', Buffer.from(m[2]!, 'base64'), Number(m[1]))).toBe(pg);
      expect(scramVerifier('another password', Buffer.from(m[2]!, 'base64'), Number(m[1]))).not.toBe(pg);
    } finally {
      await t.db.none(`DROP ROLE ${role}`);
    }
  });

  it('setGrafanaRolePassword stores a verifier, never the password', async () => {
    expect(await setGrafanaRolePassword(t.db, 'grafana-secret-1')).toBe(true);
    const v = await storedVerifier(t.db, 'amokpi_grafana');
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(v).not.toContain('grafana-secret-1');
    const salt = Buffer.from(/:([^$]+)\$/.exec(v)![1]!, 'base64');
    expect(scramVerifier('grafana-secret-1', salt)).toBe(v);
  });

  it('creates the role once and tolerates running again (role exists, grants repeated)', async () => {
    const role = `amokpi_gr_${randomBytes(4).toString('hex')}`;
    try {
      await t.db.none(upSectionFor(role));
      await t.db.none(upSectionFor(role));
      const r = await t.db.one('SELECT rolcanlogin, rolconfig FROM pg_roles WHERE rolname = $1', [role]);
      expect(r.rolcanlogin).toBe(true);
      const grants = await t.db.one(
        `SELECT has_table_privilege($1, 'kpi.manager_tasks_now', 'SELECT') AS kpi, has_table_privilege($1, 'app.sync_runs', 'SELECT') AS runs,
                has_table_privilege($1, 'app.oauth_tokens', 'SELECT') AS tokens, has_table_privilege($1, 'amo.leads', 'INSERT') AS ins`,
        [role],
      );
      expect(grants).toEqual({ kpi: true, runs: true, tokens: false, ins: false });
    } finally {
      await t.db.none(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`);
    }
  });

  it('a database owner without CREATEROLE migrates the whole chain; the role step is skipped, not fatal', async () => {
    const suffix = randomBytes(4).toString('hex');
    const owner = `amokpi_owner_${suffix}`;
    const dbName = `t_owner_${suffix}`;
    const a = admin();
    await a.none(`CREATE ROLE ${owner} LOGIN NOSUPERUSER NOCREATEROLE`);
    await a.none(`CREATE DATABASE ${dbName} OWNER ${owner} TEMPLATE template0`);
    const url = process.env[ADMIN_URL_ENV]!.replace(/\/\/[^@/]+@/, `//${owner}@`).replace(/\/postgres$/, `/${dbName}`);
    const ownerDb = pgp({ connectionString: url, max: 1 });
    try {
      await run(process.execPath, [cli, 'migrate'], { env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' } });
      // The cluster-wide role already exists (the template's migration created it): granted to here too.
      const g = await ownerDb.one("SELECT has_table_privilege('amokpi_grafana', 'amo.leads', 'SELECT') AS ok");
      expect(g.ok).toBe(true);
      const missing = `amokpi_never_${suffix}`;
      await ownerDb.none(upSectionFor(missing));
      expect(await ownerDb.oneOrNone('SELECT 1 FROM pg_roles WHERE rolname = $1', [missing])).toBeNull();
    } finally {
      await closePool(ownerDb);
      // Without FORCE: terminating a connection the ended pool is still closing would surface as an
      // unhandled client error; wait for it to go instead.
      for (let i = 0; ; i++) {
        try {
          await a.none(`DROP DATABASE IF EXISTS ${dbName}`);
          break;
        } catch (err) {
          if (i >= 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await a.none(`DROP ROLE IF EXISTS ${owner}`);
      await closePool(a);
    }
  });

  it('amokpi grafana setup stores AMOKPI_GRAFANA_DB_PASSWORD on the role before the Grafana part', async () => {
    const g = await startFakeGrafana();
    try {
      const { stdout } = await run(process.execPath, [cli, 'grafana', 'setup', '--url', g.url], {
        env: { ...process.env, DATABASE_URL: t.url, LOG_LEVEL: 'warn', GRAFANA_TOKEN: 'glsa_test_token_123456', AMOKPI_GRAFANA_DB_PASSWORD: 'from-the-env-42' },
      });
      expect(stdout).toMatch(/^database role amokpi_grafana: password set from AMOKPI_GRAFANA_DB_PASSWORD$/m);
      expect(stdout).not.toContain('from-the-env-42');
      const v = await storedVerifier(t.db, 'amokpi_grafana');
      expect(scramVerifier('from-the-env-42', Buffer.from(/:([^$]+)\$/.exec(v)![1]!, 'base64'))).toBe(v);
    } finally {
      await g.close();
    }
  });
});
