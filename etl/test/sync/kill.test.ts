import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { runSync } from '../../src/sync/engine';
import type { Simulator } from '../../src/simulator';
import type { AmoClient } from '../../src/amocrm/client';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { clientFor, dropQuietly, fullDump, startSim, testConfig, TOKEN } from './support';

const CHILD = path.resolve(__dirname, 'fixtures/child-sync.js');
const KILLS = 20;

function startChild(url: string, simUrl: string): { child: ChildProcess; exited: Promise<number | null>; ready: Promise<void> } {
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, DATABASE_URL: url, SIM_URL: simUrl, SIM_TOKEN: TOKEN, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const ready = new Promise<void>((resolve) => child.stdout!.on('data', (d) => String(d).includes('ready') && resolve()));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    if (code && code !== 0) process.stderr.write(`child sync exited ${code}: ${err}\n`);
    resolve(code);
  }));
  return { child, exited, ready };
}

describe('kill -9 at random instants', () => {
  let sim: Simulator;
  let api: AmoClient;
  let clean: TestDatabase;
  let killed: TestDatabase;
  let cleanMs = 0;

  beforeAll(async () => {
    sim = await startSim({ seed: 5, size: { managers: 8, leads: 2500, months: 12 } });
    api = clientFor(sim);
    clean = await createTestDatabase();
    killed = await createTestDatabase();
  });
  afterAll(async () => {
    await api.close();
    await sim.close();
    await Promise.all([dropQuietly(clean), dropQuietly(killed)]);
  });

  it('a sync killed 20 times and resumed each time ends equal to one clean sync', async () => {
    const t0 = Date.now();
    const results = await runSync({ db: clean.db, config: testConfig(), api, mode: 'incremental' });
    cleanMs = Date.now() - t0;
    expect(results.filter((r) => r.error)).toEqual([]);
    const want = await fullDump(clean.db);

    let midStream = 0;
    let finishedEarly = 0;
    for (let i = 0; i < KILLS; i++) {
      const { child, exited, ready } = startChild(killed.url, sim.url);
      // Kill at a random instant of the work (not of node's start-up): on average each run gets a twentieth
      // of a clean sync done, so the kills are spread over the whole sync, commits included.
      let timer: NodeJS.Timeout | undefined;
      void ready.then(() => (timer = setTimeout(() => child.kill('SIGKILL'), Math.random() * (cleanMs / 10))));
      const code = await exited;
      if (timer) clearTimeout(timer);
      if (code === 0) finishedEarly++;
      const open = await killed.db.one<{ n: number }>('SELECT count(*)::int AS n FROM app.sync_runs WHERE finished_at IS NULL');
      if (open.n > 0) midStream++;
      await killed.db.none('UPDATE app.sync_runs SET finished_at = now(), error = $1 WHERE finished_at IS NULL', ['killed by the test']);
    }
    // Resume to completion.
    const last = startChild(killed.url, sim.url);
    expect(await last.exited).toBe(0);
    expect(await fullDump(killed.db)).toBe(want);
    process.stdout.write(`kill -9: clean sync ${cleanMs} ms; ${midStream}/${KILLS} kills landed inside a stream, ${finishedEarly} runs finished before their kill\n`);
    // Kills between streams or before the first one are legitimate instants too; most must hit a stream.
    expect(midStream).toBeGreaterThanOrEqual(KILLS / 4);
  }, 180_000);
});
