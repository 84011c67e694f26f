import schedule from 'node-schedule';
import type { AmoApi } from '../amocrm/api';
import { keepAliveRefresh } from '../amocrm/auth';
import { nowInstant } from '../clock';
import type { Config } from '../config';
import type { Db } from '../db/pgp';
import { backfillLoadedHistory, snapshotDay } from '../kpi/snapshot';
import { log } from '../log';
import { apiFromConfig } from './client';
import { runSync } from './engine';
import { historyProgress, logReporter } from './report';
import { SyncBusyError } from './lock';
import type { StreamResult, SyncMode } from './types';

export interface WorkerOptions {
  config: Config;
  db: Db;
  /** Default: a client built from the AMOCRM_* settings (closed by stop()). */
  api?: AmoApi & { close?(): Promise<void> };
  /** Run an incremental sync at once instead of waiting for the first cron tick (default true). */
  syncOnStart?: boolean;
  /** A progress line per running stream at most this often (default 10 s); each stream's end is logged anyway. */
  progressEveryMs?: number;
}

/** What one scheduled run did: results, or why it did not run. */
export type RunOutcome = StreamResult[] | 'busy' | 'overlap' | 'stopped' | 'failed';

export interface Worker {
  /** Runs a sync now (the scheduler's entry point, exposed for the demo and tests); a successful run starts the history catch-up. */
  runNow(mode: SyncMode): Promise<RunOutcome>;
  /**
   * The end-of-day hook: a last incremental sync, then the day just ended is frozen (kpi snapshotDay), then the
   * history catch-up.
   */
  endOfDay(): Promise<void>;
  /**
   * The history catch-up (kpi backfillLoadedHistory): stores as reconstructed every past day that has no complete
   * stored row: days missed while the worker was down, days frozen before they ended, days a lead deletion
   * dropped. One at a time: a call while one runs makes it go round once more, and resolves with it. Never rejects.
   */
  catchUp(): Promise<void>;
  /** Start-up done: the first sync (unless syncOnStart is false) and the catch-up after it. Never rejects. */
  started: Promise<void>;
  /** Cancels the schedule; a running sync finishes its current page, commits and stops. */
  stop(): Promise<void>;
}

/** When the day just ended is frozen, in the account zone: five minutes after midnight. */
const END_OF_DAY_CRON = '5 0 * * *';
/** keepAliveRefresh only refreshes a pair older than a week; checking daily keeps it well inside 3 months. */
const KEEP_ALIVE_CRON = '17 4 * * *';

/**
 * The long-running worker: incremental sync on AMOKPI_SYNC_CRON, the full reconcile on AMOKPI_FULL_SYNC_CRON,
 * the end-of-day snapshot in the account zone and the OAuth keep-alive. Runs never overlap: in-process by a
 * flag, across processes by the sync advisory lock (a second worker on the same database skips). After every
 * successful sync, at start-up and after the end-of-day snapshot, the history catch-up stores the past days
 * that have no complete row; it runs beside the syncs (a back-fill of years takes minutes at 1M leads and must
 * not hold the data lag up), one at a time.
 */
export function startWorker(opts: WorkerOptions): Worker {
  const { config, db } = opts;
  const api = opts.api ?? apiFromConfig(config, db);
  const ownsApi = !opts.api;
  const jobs: schedule.Job[] = [];
  let current: Promise<RunOutcome> | undefined;
  let controller: AbortController | undefined;
  let stopped = false;
  let catching: Promise<void> | undefined;
  let catchAgain = false;
  const history = new AbortController();

  function catchUp(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (catching) {
      catchAgain = true;
      return catching;
    }
    catching = (async () => {
      try {
        do {
          catchAgain = false;
          await backfillLoadedHistory(db, config, { signal: history.signal, onDay: historyProgress(logReporter({ everyMs: 10_000 })) });
        } while (catchAgain && !stopped);
      } catch (err) {
        log().error({ err }, 'history catch-up failed');
      } finally {
        catching = undefined;
      }
    })();
    return catching;
  }

  function runNow(mode: SyncMode): Promise<RunOutcome> {
    return run(mode, true);
  }

  /** A sync; with thenCatchUp, a run without a failed stream starts the history catch-up (not awaited). */
  function run(mode: SyncMode, thenCatchUp: boolean): Promise<RunOutcome> {
    if (stopped) return Promise.resolve('stopped');
    if (current) {
      log().info({ mode }, 'sync skipped: the previous run is still going');
      return Promise.resolve('overlap');
    }
    controller = new AbortController();
    const signal = controller.signal;
    current = (async (): Promise<RunOutcome> => {
      try {
        // A first sync reads the whole history: a long stream says how far it is, not only when it ends.
        const progress = logReporter({ everyMs: opts.progressEveryMs ?? 10_000, done: false }).onProgress;
        const results = await runSync({ db, config, api, mode, signal, progress });
        for (const r of results) {
          const line = { stream: r.stream, fetched: r.fetched, upserted: r.upserted, deleted: r.deleted, requests: r.requests, ms: r.ms };
          if (r.error) log().error({ ...line, error: r.error, mode }, 'sync stream failed');
          else log().info({ ...line, mode }, 'sync stream done');
        }
        // Stored history is only as good as the data: not after a failed stream (amoCRM down, an abort).
        if (thenCatchUp && !results.some((r) => r.error)) void catchUp();
        return results;
      } catch (err) {
        if (err instanceof SyncBusyError) {
          log().info({ mode }, 'sync skipped: another worker holds the sync lock');
          return 'busy';
        }
        log().error({ err, mode }, 'sync run failed');
        return 'failed';
      } finally {
        current = undefined;
        controller = undefined;
      }
    })();
    return current;
  }

  async function zone(): Promise<string> {
    if (config.timezone) return config.timezone;
    const row = await db.oneOrNone<{ timezone: string }>('SELECT timezone FROM amo.account ORDER BY synced_at DESC LIMIT 1');
    return row?.timezone ?? 'UTC';
  }

  async function endOfDay(): Promise<void> {
    if (current) await current;
    // The catch-up waits for the freeze: it would otherwise store yesterday as reconstructed first.
    await run('incremental', false);
    const z = await zone();
    const yesterday = nowInstant(config).setZone(z).minus({ days: 1 }).toISODate()!;
    try {
      // Replaces a reconstructed or incomplete row of yesterday; a complete frozen one stays.
      const r = await snapshotDay(db, config, yesterday);
      log().info({ date: r.date, kept: r.kept, source: r.source }, 'end-of-day snapshot');
    } catch (err) {
      log().error({ err, date: yesterday }, 'end-of-day snapshot failed');
    }
    await catchUp();
  }

  const add = (name: string, rule: string | schedule.RecurrenceSpecDateRange, fn: () => unknown) => {
    const job = schedule.scheduleJob(name, rule, () => void fn());
    if (job) jobs.push(job);
    else log().error({ name, rule }, 'could not schedule job (invalid cron rule?)');
  };
  const scheduleEndOfDay = async () => {
    const z = await zone();
    add('amokpi-end-of-day', { rule: END_OF_DAY_CRON, tz: z }, endOfDay);
    log().info({ zone: z, cron: END_OF_DAY_CRON }, 'end-of-day snapshot scheduled');
  };

  add('amokpi-sync', config.syncCron, () => runNow('incremental'));
  add('amokpi-full-sync', config.fullSyncCron, () => runNow('full'));
  add('amokpi-oauth-keepalive', KEEP_ALIVE_CRON, () =>
    keepAliveRefresh(config, db).then(
      (r) => log().info({ result: r }, 'OAuth keep-alive'),
      (err) => log().error({ err }, 'OAuth keep-alive failed'),
    ),
  );
  // The snapshot follows the account's zone, known after the first sync of a fresh database. The first sync's
  // catch-up (after a successful run) stores the days missed while the worker was down: yesterday too, as
  // reconstructed when no end-of-day snapshot froze it (the tasks at the end of a past day are unknowable).
  const first = opts.syncOnStart === false ? Promise.resolve(undefined) : run('incremental', false);
  const started = first
    .then(async (outcome) => {
      if (stopped) return;
      await scheduleEndOfDay().catch((err) => log().error({ err }, 'could not schedule the end-of-day snapshot'));
      if (Array.isArray(outcome) && !outcome.some((r) => r.error)) await catchUp();
    })
    .catch((err) => log().error({ err }, 'worker start-up failed'));
  log().info({ sync: config.syncCron, full: config.fullSyncCron }, 'worker started');

  return {
    runNow,
    endOfDay,
    catchUp,
    started,
    async stop() {
      stopped = true;
      for (const j of jobs) j.cancel();
      controller?.abort();
      history.abort();
      if (current) await current;
      if (catching) await catching;
      if (ownsApi) await api.close?.();
    },
  };
}

