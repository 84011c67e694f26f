import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../support/db';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../bin/amokpi.js');

describe('migrations on real Postgres', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('the template carries every schema', async () => {
    const schemas = await t.db.map("SELECT nspname FROM pg_namespace WHERE nspname IN ('amo','app') ORDER BY 1", [], (r) => r.nspname);
    expect(schemas).toEqual(['amo', 'app']);
  });

  it('amokpi migrate is idempotent and safe when run concurrently on an empty database', async () => {
    const empty = await createTestDatabase({ empty: true });
    try {
      const env = { ...process.env, DATABASE_URL: empty.url, LOG_LEVEL: 'warn' };
      const results = await Promise.all([1, 2, 3].map(() => run(process.execPath, [cli, 'migrate'], { env })));
      const outs = results.map((r) => r.stdout);
      expect(outs.filter((o) => /^applied \d+ migration/.test(o))).toHaveLength(1);
      expect(outs.filter((o) => /up to date/.test(o))).toHaveLength(2);
      const again = await run(process.execPath, [cli, 'migrate'], { env });
      expect(again.stdout).toMatch(/up to date/);
      const count = await empty.db.one('SELECT count(*)::int AS n FROM pgmigrations');
      const files = (await import('node:fs')).readdirSync(path.resolve(__dirname, '../../migrations')).filter((f) => /\.(sql|ts|js)$/.test(f));
      expect(count.n).toBe(files.length);
    } finally {
      await empty.drop();
    }
  });

  it('a malformed setting stops the CLI with one line naming the variable', async () => {
    const err = await run(process.execPath, [cli, 'migrate'], { env: { ...process.env, AMOCRM_BASE_URL: 'notaurl' } }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr).toMatch(/AMOCRM_BASE_URL/);
  });
});
