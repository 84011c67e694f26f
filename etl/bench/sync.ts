import { spawn } from 'node:child_process';
import path from 'node:path';
import { startSimulator, type SimDataset } from '../src/simulator';
import { pgp } from '../src/db';
import { migrate } from '../src/db/migrate';
import type { StreamResult } from '../src/sync/types';
import { EVENT_TYPES } from '../src/sync/streams/events';
import { startCluster, type Cluster } from '../test/support/cluster';
import { STREAMS } from '../src/sync/streams';
import { writeBatch } from '../src/sync/engine';
import { statisticsKeeper } from '../src/sync/statistics';
import { leadSchema, taskSchema, eventSchema, noteSchema } from '../src/sync/schemas';
import { intOption } from './_support';
import { nodeFlagsOf } from '../test/support/node-flags';
import { closePool } from '../src/db/close';

/**
 * `npm run bench -- sync [--leads 10000] [--big-leads 50000] [--rps 7] [--quick]`
 *
 * Each sync runs in a child process (the real engine and client), so its peak RSS is the sync's own, not the
 * simulator's. Phases: (1) limiter off on the --leads account: Postgres upsert throughput, requests vs the
 * minimum; (2) limiter at --rps: wall time vs the rate-limit bound (minimum requests ÷ rps); (3) limiter off
 * on the --big-leads account: peak RSS again, to show it is flat. --quick skips phases 2 and 3.
 */

const TOKEN = 'bench-sync-token';
const CHILD = path.resolve(__dirname, '../test/sync/fixtures/child-sync.js');
const BIN = path.resolve(__dirname, '../bin/amokpi.js');

interface ChildRun {
  results: StreamResult[];
  maxRssKb: number;
  /** Highest V8 heapUsed sampled every 100 ms (live data plus garbage not yet collected). */
  maxHeapMb: number;
  wallMs: number;
}

/** The fewest requests a full sync can make: one page per 250 rows (events: 100), at least one per stream. */
function minimumRequests(ds: SimDataset, usersCount: number): Record<string, number> {
  const pages = (n: number, limit: number) => Math.max(1, Math.ceil(n / limit));
  const calls = (l: object[]) => l.filter((x) => ['call_in', 'call_out'].includes((x as { note_type: string }).note_type)).length;
  const events = ds.events.filter((e) => (EVENT_TYPES as readonly string[]).includes((e as { type: string }).type)).length;
  return {
    account: 1,
    users: pages(usersCount, 250),
    pipelines: 1,
    deleted_leads: pages(ds.deletedLeads.length, 250),
    leads: pages(ds.leads.length, 250),
    tasks: pages(ds.tasks.length, 250),
    events: pages(events, 100),
    lead_notes: pages(calls(ds.leadNotes), 250),
    contact_notes: pages(calls(ds.contactNotes), 250),
  };
}

function runChild(dbUrl: string, simUrl: string, rps: number): Promise<ChildRun> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    // The flags `npx amokpi sync` runs with (the heap ceiling of bin/amokpi.js's first line).
    const child = spawn(process.execPath, [...nodeFlagsOf(BIN), CHILD], {
      env: { ...process.env, DATABASE_URL: dbUrl, SIM_URL: simUrl, SIM_TOKEN: TOKEN, SYNC_RPS: String(rps), SYNC_MODE: 'full', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) return reject(new Error(`sync child exited ${code}: ${err || out}`));
      const parsed = JSON.parse(line) as Omit<ChildRun, 'wallMs'>;
      resolve({ ...parsed, wallMs: Date.now() - t0 });
    });
  });
}

async function freshDatabase(cluster: Cluster, name: string): Promise<string> {
  const admin = pgp({ connectionString: cluster.adminUrl, max: 1 });
  await admin.none('DROP DATABASE IF EXISTS $1:name', [name]);
  await admin.none('CREATE DATABASE $1:name', [name]);
  await closePool(admin);
  const url = cluster.urlFor(name);
  await migrate(url, { quiet: true });
  return url;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * The engine's write path alone (no HTTP): the dataset's items, validated beforehand, written by each
 * stream's plan in transactions of `batch` rows with the cursor saved in each, and the statistics of what grew
 * refreshed in between, as the engine does (but without the overlap of formatting and execution that a real sync
 * gets).
 */
async function writeThroughput(url: string, ds: SimDataset, batch: number, withoutTriggers = false): Promise<{ rows: number; ms: number }> {
  const db = pgp({ connectionString: url, max: 2 });
  // For attribution only: the KPI schema keeps its summaries (status summary, activity cells, open deals) with
  // statement-level triggers on amo.events, amo.notes and amo.leads.
  if (withoutTriggers) {
    for (const table of ['amo.events', 'amo.notes', 'amo.leads']) await db.none(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
  }
  const calls = (l: object[]) => l.filter((x) => ['call_in', 'call_out'].includes((x as { note_type: string }).note_type));
  const inputs: Array<[string, unknown[]]> = [
    ['leads', ds.leads.map((x) => leadSchema.parse(x))],
    ['tasks', ds.tasks.map((x) => taskSchema.parse(x))],
    ['events', ds.events.map((x) => eventSchema.parse(x)).filter((e) => (EVENT_TYPES as readonly string[]).includes(e.type))],
    ['lead_notes', calls(ds.leadNotes).map((x) => noteSchema.parse(x))],
    ['contact_notes', calls(ds.contactNotes).map((x) => noteSchema.parse(x))],
  ];
  let rows = 0;
  const t0 = Date.now();
  for (const [name, items] of inputs) {
    const stream = STREAMS.find((s) => s.name === name)!;
    const keepStatistics = statisticsKeeper(db);
    for (let i = 0; i < items.length; i += batch) {
      const chunk = items.slice(i, i + batch);
      const w = await writeBatch(db, stream, chunk, { maxSeen: i });
      rows += w.upserted;
      await keepStatistics();
    }
  }
  const ms = Date.now() - t0;
  await closePool(db);
  return { rows, ms };
}

export default async function main(args: string[]): Promise<void> {
  const leads = intOption(args, 'leads', 10_000);
  const bigLeads = intOption(args, 'big-leads', 50_000);
  const rps = intOption(args, 'rps', 7);
  const quick = args.includes('--quick');
  const size = (n: number) => ({ managers: 20, pipelines: 3, months: 12, leads: n });
  const cluster = await startCluster();
  try {
    // Phase 1: limiter off.
    const sim = await startSimulator({ port: 0, seed: 42, token: TOKEN, size: size(leads), rps: 0 });
    const ds = sim.dataset();
    const users = ds.users.length;
    const wantedEvents = ds.events.filter((e) => (EVENT_TYPES as readonly string[]).includes((e as { type: string }).type)).length;
    process.stdout.write(
      `account: ${fmt(ds.leads.length)} leads (+${fmt(ds.deletedLeads.length)} in the trash), ${fmt(ds.events.length)} events ` +
        `(${fmt(wantedEvents)} of the synced types), ${fmt(ds.tasks.length)} tasks, ${fmt(ds.leadNotes.length + ds.contactNotes.length)} notes\n`,
    );
    const minimum = minimumRequests(ds, users);
    const minTotal = Object.values(minimum).reduce((a, b) => a + b, 0);
    for (const [batch, bare] of [[250, false], [2500, false], [2500, true]] as const) {
      const w = await writeThroughput(await freshDatabase(cluster, `bench_sync_write_${batch}_${bare}`), ds, batch, bare);
      process.stdout.write(
        `Postgres upsert throughput (engine write path, no HTTP, ${batch} rows per transaction${bare ? ', every KPI trigger disabled' : ''}): ` +
          `${fmt(w.rows)} rows in ${fmt(w.ms)} ms = ${fmt(Math.round(w.rows / (w.ms / 1000)))} rows/s (goal >= 20,000)\n`,
      );
    }
    const free = await runChild(await freshDatabase(cluster, 'bench_sync_free'), sim.url, 0);
    await sim.close();
    const rows = free.results.reduce((a, r) => a + r.upserted + r.deleted, 0);
    const dbMs = free.results.reduce((a, r) => a + (r.dbMs ?? 0), 0);
    const reqs = free.results.reduce((a, r) => a + r.requests, 0);
    process.stdout.write('\nfull sync, limiter off (child process):\n');
    process.stdout.write('  stream           requests  minimum   rows written     ms\n');
    for (const r of free.results) {
      process.stdout.write(`  ${r.stream.padEnd(15)} ${String(r.requests).padStart(8)} ${String(minimum[r.stream]).padStart(8)} ${String(r.upserted + r.deleted).padStart(14)} ${String(r.ms).padStart(6)}\n`);
    }
    process.stdout.write(`  requests made vs minimum: ${reqs} / ${minTotal} = ${(reqs / minTotal).toFixed(3)}\n`);
    process.stdout.write(`  ${fmt(rows)} rows written; ${fmt(dbMs)} ms inside transactions (shared with the reader's parsing on one event loop)\n`);
    process.stdout.write(`  end to end (HTTP + validation + Postgres): ${fmt(Math.round(rows / (free.wallMs / 1000)))} rows/s over ${fmt(free.wallMs)} ms\n`);
    process.stdout.write(`  peak RSS of the sync process: ${(free.maxRssKb / 1024).toFixed(0)} MB at ${fmt(leads)} leads (peak V8 heap ${free.maxHeapMb} MB)\n`);

    if (!quick) {
      // Phase 2: the rate limit. The simulator enforces 7 rps itself and counts 429s.
      const limited = await startSimulator({ port: 0, seed: 42, token: TOKEN, size: size(leads), rps: 7 });
      const limitedDs = limited.dataset();
      const run = await runChild(await freshDatabase(cluster, 'bench_sync_limited'), limited.url, rps);
      const st = limited.stats();
      await limited.close();
      const made = run.results.reduce((a, r) => a + r.requests, 0);
      // Generation follows the real clock, so this account may differ by a few rows: its own minimum.
      const limMin = Object.values(minimumRequests(limitedDs, limitedDs.users.length)).reduce((a, b) => a + b, 0);
      const bound = (limMin / rps) * 1000;
      process.stdout.write(`\nfull sync at ${rps} requests/second:\n`);
      process.stdout.write(`  requests made vs minimum: ${made} / ${limMin}; 429 answers: ${st.throttled}; max accepted in one second: ${st.maxAcceptedPerSecond}\n`);
      process.stdout.write(`  wall time ${fmt(run.wallMs)} ms vs rate-limit bound ${fmt(Math.round(bound))} ms (minimum requests ÷ ${rps}): ratio ${(bound / run.wallMs).toFixed(3)} (goal >= 0.9)\n`);

      // Phase 3: a 5x account, limiter off: peak RSS must stay flat.
      const big = await startSimulator({ port: 0, seed: 42, token: TOKEN, size: size(bigLeads), rps: 0 });
      const bds = big.dataset();
      process.stdout.write(`\n${fmt(bds.leads.length)}-lead account (${fmt(bds.events.length)} events), limiter off:\n`);
      const bigRun = await runChild(await freshDatabase(cluster, 'bench_sync_big'), big.url, 0);
      await big.close();
      const bigRows = bigRun.results.reduce((a, r) => a + r.upserted + r.deleted, 0);
      const bigDb = bigRun.results.reduce((a, r) => a + (r.dbMs ?? 0), 0);
      process.stdout.write(`  ${fmt(bigRows)} rows, ${fmt(Math.round(bigRows / (bigDb / 1000)))} rows/s in Postgres, wall ${fmt(bigRun.wallMs)} ms\n`);
      process.stdout.write(
        `  peak RSS: ${(bigRun.maxRssKb / 1024).toFixed(0)} MB at ${fmt(bigLeads)} leads vs ${(free.maxRssKb / 1024).toFixed(0)} MB at ${fmt(leads)} ` +
          `(peak V8 heap ${bigRun.maxHeapMb} vs ${free.maxHeapMb} MB; goal < 300 MB, flat)\n`,
      );
    }
    process.stdout.write('\nPostgres: the throwaway cluster of the test suite (fsync=off, synchronous_commit=off).\n');
  } finally {
    await cluster.stop();
  }
}
