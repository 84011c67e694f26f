import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { Pool } from 'undici';
import { staleDealsJson, staleRenderedRows } from '../src/api/stale-answer';
import { loadConfig } from '../src/config';
import type { Db } from '../src/db';
import { activity } from '../src/kpi/activity';
import { loadKpiContext } from '../src/kpi/context';
import { department } from '../src/kpi/department';
import { managersBoard } from '../src/kpi/managers';
import { listManagers, listPipelines, syncStatus } from '../src/kpi/reference';
import { staleDeals, type StaleFilter } from '../src/kpi/stale';
import { monthBounds } from '../src/kpi/time';
import { createLogger, setLogger } from '../src/log';
import { nodeFlagsOf } from '../test/support/node-flags';
import { generateAccount } from './_kpi-data';
import { benchDatabase, intOption, ms, time, timeInTurns, type Timing } from './_support';

const TOKEN = 'bench-read-token';
const BIN = path.resolve(__dirname, '../bin/amokpi.js');

interface Served {
  url: string;
  stop(): Promise<void>;
}

/**
 * `amokpi serve` in a process of its own, with the flags of bin/amokpi.js, as it runs for a user: the bench's
 * direct calls (tens of MB of garbage for a long list) and its HTTP client then do not share the server's heap
 * and thread.
 */
function serveProcess(env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [...nodeFlagsOf(BIN), BIN, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const failed = (why: string) => reject(new Error(`amokpi serve ${why}: ${out.trim()}`));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /amokpi API on (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, stop: () => (child.kill('SIGTERM'), exited) });
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => failed(`exited (${code})`));
  });
}

interface Case {
  name: string;
  path: string;
  direct: (db: Db) => Promise<unknown>;
}

/**
 * `npm run bench -- kpi [--leads N] [--iterations K]`: generates an account in a throwaway Postgres and
 * prints p50/p95 of every KPI endpoint through HTTP from `amokpi serve` as it runs (answers kept until a write,
 * api/answer-cache.ts), from a second server that keeps none (every request computed), and of the same KPI
 * function called directly (its SQL and the shaping of its rows, no HTTP), with both servers' ratios to it; the
 * stuck-deal route's own computation with every row rendered anew (its first answer of a day: it keeps rendered
 * rows, api/rendered-rows.ts); and the whole board, also right after a write. The three take turns call by call,
 * so all see the same minutes of a drifting machine. Without --leads it runs 100 000 and 1 000 000 leads to show
 * growth.
 */
export default async function (args: string[]): Promise<void> {
  setLogger(createLogger({ level: 'warn' }));
  const iterations = intOption(args, 'iterations', 100);
  const only = args.includes('--leads') || args.some((a) => a.startsWith('--leads=')) ? [intOption(args, 'leads', 1_000_000)] : [100_000, 1_000_000];
  const summary: string[] = [];
  for (const leads of only) {
    const res = await benchSize(leads, iterations);
    summary.push(...res);
  }
  process.stdout.write(`\n== summary ==\n${summary.join('\n')}\n`);
}

async function benchSize(leads: number, iterations: number): Promise<string[]> {
  const bench = await benchDatabase();
  let served: Served | undefined;
  let computing: Served | undefined;
  try {
    const t0 = performance.now();
    const gen = await generateAccount(bench.db, { leads, events: leads * 5, managers: 200, snapshotDays: 3 * 365 });
    const genSeconds = (performance.now() - t0) / 1000;
    const counts = await bench.db.one(
      `SELECT (SELECT count(*) FROM amo.leads)::int AS leads, (SELECT count(*) FROM amo.events)::int AS events,
              (SELECT count(*) FROM kpi.active_leads)::int AS active, (SELECT count(*) FROM kpi.snapshot_managers)::int AS snap,
              pg_size_pretty(pg_database_size(current_database())) AS size`,
    );
    const env = { AMOKPI_API_TOKEN: TOKEN, AMOKPI_ADMIN_TOKEN: 'bench-admin-token', AMOKPI_PORT: '0', LOG_LEVEL: 'warn' };
    const config = loadConfig(env);
    served = await serveProcess({ ...env, DATABASE_URL: bench.url, AMOKPI_HOST: '127.0.0.1' });
    // A second server that keeps no answers: each request computed, what the first one does after a write.
    computing = await serveProcess({ ...env, DATABASE_URL: bench.url, AMOKPI_HOST: '127.0.0.1', AMOKPI_ANSWER_CACHE_MB: '0' });
    const ctx0 = await loadKpiContext(bench.db, config);
    const past = DateTime.fromISO(ctx0.today).minus({ days: 40 }).toISODate()!;
    const month = monthBounds(ctx0.today);
    const ctx = () => loadKpiContext(bench.db, config);
    const stale = async (db: Db, f: StaleFilter) => staleDeals(db, await ctx(), f);
    const cases: Case[] = [
      { name: 'kpi/managers (today)', path: '/api/v1/kpi/managers', direct: async (db) => managersBoard(db, await ctx(), ctx0.today, null) },
      { name: 'kpi/managers (past, snapshot)', path: `/api/v1/kpi/managers?date=${past}`, direct: async (db) => managersBoard(db, await ctx(), past, null) },
      { name: 'kpi/managers (today, pipeline 1)', path: '/api/v1/kpi/managers?pipelineId=1', direct: async (db) => managersBoard(db, await ctx(), ctx0.today, 1) },
      { name: 'kpi/department (today vs snapshot)', path: '/api/v1/kpi/department', direct: async (db) => department(db, await ctx(), ctx0.today, null) },
      { name: 'kpi/activity (this month)', path: '/api/v1/kpi/activity', direct: async (db) => activity(db, await ctx(), month.first, month.last, null) },
      { name: 'kpi/stale-deals (minDays=30)', path: '/api/v1/kpi/stale-deals?minDays=30', direct: (db) => stale(db, { minDays: 30, managerId: null, pipelineId: null }) },
      // What the TV board's panel asks for: a screenful of the longest-stuck deals.
      { name: 'kpi/stale-deals (minDays=7, limit=50)', path: '/api/v1/kpi/stale-deals?minDays=7&limit=50', direct: (db) => stale(db, { minDays: 7, managerId: null, pipelineId: null, limit: 50 }) },
      { name: 'kpi/stale-deals (one manager)', path: '/api/v1/kpi/stale-deals?managerId=7', direct: (db) => stale(db, { minDays: 0, managerId: 7, pipelineId: null }) },
    ];
    // undici's Pool with keep-alive: the lightest client, so the ratio shows the server's HTTP cost.
    const pool = new Pool(served.url, { connections: 8 });
    const computed = new Pool(computing.url, { connections: 8 });
    const get = async (path: string, encoding?: string, via = pool) => {
      const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
      if (encoding) headers['accept-encoding'] = encoding;
      const r = await via.request({ method: 'GET', path, headers });
      const body = Buffer.from(await r.body.arrayBuffer());
      if (r.statusCode !== 200) throw new Error(`${path}: HTTP ${r.statusCode} ${body.toString()}`);
      return body;
    };
    const lines: string[] = [];
    const out = (s: string) => {
      lines.push(s);
      process.stdout.write(`${s}\n`);
    };
    out(`\n# ${counts.leads} leads (${counts.active} active), ${counts.events} events (${gen.statusEvents} status changes, ${gen.messages} chat messages), ` +
      `${counts.snap} snapshot rows, database ${counts.size}; generated in ${genSeconds.toFixed(0)} s`);
    // HTTP: the server as it runs (a past day, activity and the stuck deals are kept until a write); computed: the
    // server that keeps no answers; fn: the KPI function called directly. Ratios are HTTP ÷ fn.
    out(`${'endpoint'.padEnd(40)}${'HTTP p50'.padStart(10)}${'HTTP p95'.padStart(10)}${'cmp p50'.padStart(10)}${'cmp p95'.padStart(10)}` +
      `${'fn p50'.padStart(10)}${'fn p95'.padStart(10)}  ratio p50/p95  cmp ratio p50/p95  bytes`);
    for (const c of cases) {
      const body = await get(c.path);
      const [http, cmp, direct] = await timeInTurns([() => get(c.path), () => get(c.path, undefined, computed), () => c.direct(bench.db)], iterations);
      out(`${c.name.padEnd(40)}${ms(http!.p50)}${ms(http!.p95)}${ms(cmp!.p50)}${ms(cmp!.p95)}${ms(direct!.p50)}${ms(direct!.p95)}` +
        `  ${(http!.p50 / direct!.p50).toFixed(2)} / ${(http!.p95 / direct!.p95).toFixed(2)}` +
        `   ${(cmp!.p50 / direct!.p50).toFixed(2)} / ${(cmp!.p95 / direct!.p95).toFixed(2)}      ${body.byteLength}`);
    }
    // The route's computation for its first answer of a day (every row's days in status changed) or after a restart:
    // the query and every row rendered anew, no HTTP. The HTTP line above renders from the rows it keeps.
    const anew = staleRenderedRows();
    const cold: Timing = await time(async () => {
      anew.clear();
      return staleDealsJson(bench.db, await ctx(), { minDays: 30, managerId: null, pipelineId: null }, anew);
    }, Math.max(10, Math.floor(iterations / 2)));
    out(`${'stale-deals (minDays=30) rendered anew'.padEnd(40)}${''.padStart(20)}${ms(cold.p50)}${ms(cold.p95)}`);
    // What a browser behind Grafana gets: the same lists compressed (bytes on the wire; the client does not inflate).
    for (const path of ['/api/v1/kpi/activity', '/api/v1/kpi/stale-deals?minDays=30']) {
      const body = await get(path, 'br');
      const http: Timing = await time(() => get(path, 'br'), iterations);
      out(`${`${path.replace('/api/v1/', '')} (br)`.padEnd(40)}${ms(http.p50)}${ms(http.p95)}${''.padStart(20)}  ${''.padEnd(13)}   ${body.byteLength}`);
    }
    // The whole board as Grafana loads it: every panel's query at once (the stuck-deal panel as the TV board asks).
    const board = ['/api/v1/status', '/api/v1/managers', '/api/v1/pipelines', '/api/v1/kpi/managers', '/api/v1/kpi/department',
      '/api/v1/kpi/activity', '/api/v1/kpi/stale-deals?minDays=7&limit=50'];
    const whole = await time(() => Promise.all(board.map((p) => get(p))), Math.max(10, Math.floor(iterations / 2)));
    const sequential = await time(async () => {
      for (const p of board) await get(p);
    }, Math.max(10, Math.floor(iterations / 2)));
    // Right after a sync: a transaction has written, so every answer of the board is computed again.
    const afterWrite = await time(async () => {
      await bench.db.none('UPDATE amo.users SET name = name WHERE id = (SELECT min(id) FROM amo.users)');
      await Promise.all(board.map((p) => get(p)));
    }, Math.max(10, Math.floor(iterations / 2)));
    const computedBoard = await time(() => Promise.all(board.map((p) => get(p, undefined, computed))), Math.max(10, Math.floor(iterations / 2)));
    out(`${'whole board (7 requests, parallel)'.padEnd(40)}${ms(whole.p50)}${ms(whole.p95)}`);
    out(`${'whole board (7 requests, one by one)'.padEnd(40)}${ms(sequential.p50)}${ms(sequential.p95)}`);
    out(`${'whole board after a write (a sync)'.padEnd(40)}${ms(afterWrite.p50)}${ms(afterWrite.p95)}`);
    out(`${'whole board, nothing kept'.padEnd(40)}${ms(computedBoard.p50)}${ms(computedBoard.p95)}`);
    const direct = await time(async () => {
      const c = await ctx();
      await Promise.all([syncStatus(bench.db, c), listManagers(bench.db, c), listPipelines(bench.db)]);
    }, 10);
    out(`${'(reference lists, SQL)'.padEnd(40)}${ms(direct.p50)}${ms(direct.p95)}`);
    await pool.close();
    await computed.close();
    return lines;
  } finally {
    await served?.stop();
    await computing?.stop();
    await bench.stop();
  }
}
