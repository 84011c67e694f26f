import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Simulator } from '../../src/simulator';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { dropQuietly, startSim, TOKEN } from './support';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../bin/amokpi.js');

describe('amokpi sync / amokpi run (real processes)', () => {
  let t: TestDatabase;
  let sim: Simulator;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSim({ size: { managers: 3, leads: 120, months: 2 } });
    env = { ...process.env, DATABASE_URL: t.url, AMOCRM_BASE_URL: sim.url, AMOCRM_ACCESS_TOKEN: TOKEN, AMOCRM_RPS: '7', LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await sim.close();
    await dropQuietly(t);
  });

  it('--json prints one object per stream with exactly the contract keys', async () => {
    const { stdout } = await run(process.execPath, [cli, 'sync', '--json'], { env });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.stream)).toEqual(['account', 'users', 'pipelines', 'deleted_leads', 'leads', 'tasks', 'events', 'lead_notes', 'contact_notes']);
    for (const l of lines) expect(Object.keys(l)).toEqual(['stream', 'fetched', 'upserted', 'deleted', 'requests', 'ms']);
    const leads = lines.find((l) => l.stream === 'leads');
    expect(leads.fetched).toBe(sim.dataset().leads.length);
    expect(leads.upserted).toBe(sim.dataset().leads.length);
  });

  it('--stream limits the run; the human format has one line per stream', async () => {
    const { stdout } = await run(process.execPath, [cli, 'sync', '--stream', 'users', '--stream', 'leads'], { env });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^users\s+fetched\s+\d+\s+upserted\s+0\s+deleted\s+0\s+requests\s+1\s+\d+ ms$/);
    expect(lines[1]).toMatch(/^leads\s+fetched/);
    const err = await run(process.execPath, [cli, 'sync', '--stream', 'deals'], { env }).catch((e) => e);
    expect(err.code).toBe(2); // a usage error, as an unknown flag is
    expect(err.stderr).toMatch(/^amokpi: --stream: unknown stream "deals" \(streams: account, users/);
  });

  it('a failing stream is named, the exit code is non-zero and the other streams still run', async () => {
    sim.setFaults({ malformedPath: '/api/v4/tasks' });
    try {
      const err = await run(process.execPath, [cli, 'sync', '--full', '--json'], { env }).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stderr).toMatch(/sync failed for tasks \(/);
      const lines = err.stdout.trim().split('\n').map((l: string) => JSON.parse(l));
      expect(lines.filter((l: { error?: string }) => l.error).map((l: { stream: string }) => l.stream)).toEqual(['tasks']);
      expect(lines.find((l: { stream: string }) => l.stream === 'events').error).toBeUndefined();
      const rec = await t.db.one("SELECT error FROM app.sync_runs WHERE stream = 'tasks' ORDER BY id DESC LIMIT 1");
      expect(rec.error).toMatch(/task/);
    } finally {
      sim.setFaults({});
    }
  });

  it('amokpi run serves the API, syncs at once and on SIGTERM commits the current page and exits within seconds', async () => {
    await t.db.none('TRUNCATE amo.leads, amo.events, app.sync_state');
    sim.setFaults({ latencyMs: 30 });
    const child = spawn(process.execPath, [cli, 'run'], {
      env: { ...env, AMOKPI_API_TOKEN: 'api-token-123', AMOKPI_ADMIN_TOKEN: 'admin-token-123', AMOKPI_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    try {
      const deadline = Date.now() + 20_000;
      // Wait until the worker is inside the events stream (the longest: ~10 pages at 7 requests/second).
      while (Date.now() < deadline) {
        const r = await t.db.one<{ n: number }>("SELECT count(*)::int AS n FROM app.sync_runs WHERE stream = 'events' AND finished_at IS NULL");
        if (r.n > 0 && /API on http/.test(out)) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      const url = /API on (http\S+)/.exec(out)![1]!;
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      const t0 = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(out).toMatch(/worker stopped/);
      const open = await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM app.sync_runs WHERE finished_at IS NULL');
      expect(open.n).toBe(0);
      const aborted = await t.db.any("SELECT stream FROM app.sync_runs WHERE error LIKE 'aborted%'");
      expect(aborted.length).toBeGreaterThan(0);
    } finally {
      sim.setFaults({});
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 40_000);
});
