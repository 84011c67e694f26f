import type { AmoApi } from '../amocrm/api';
import type { Config } from '../config';
import type { Db } from '../db/pgp';
import { log, scrub } from '../log';
import { withSyncLock } from './lock';
import { closeRun, openRun, runProgressSql } from './runs';
import { PageQueue } from './queue';
import { loadState, saveStateSql } from './state';
import { statisticsKeeper } from './statistics';
import { STREAMS, streamNames } from './streams';
import type { ProgressEvent, ReadContext, Statement, Stream, StreamPage, StreamResult, SyncMode, WriteResult } from './types';

export type { StreamResult, SyncMode, ProgressEvent } from './types';

export interface SyncOptions {
  db: Db;
  config: Config;
  api: AmoApi;
  mode: SyncMode;
  /** A subset of stream names (run in the canonical order); default all. */
  streams?: string[];
  /** Abort = finish the current page, commit it and stop (SIGTERM). */
  signal?: AbortSignal;
  progress?: (e: ProgressEvent) => void;
}

/** Pages fetched ahead of the writer, and the most rows one transaction takes. */
const PREFETCH_PAGES = 8;
const MAX_BATCH_ROWS = 2500;

export class UnknownStreamError extends Error {
  override name = 'UnknownStreamError';
}

/** Validates --stream names; the error lists the valid ones. */
export function selectStreams(names?: string[]): Stream[] {
  if (!names || names.length === 0) return STREAMS;
  const unknown = names.filter((n) => !streamNames().includes(n));
  if (unknown.length) throw new UnknownStreamError(`unknown stream "${unknown[0]}" (streams: ${streamNames().join(', ')})`);
  return STREAMS.filter((s) => names.includes(s.name));
}

/**
 * Runs the streams one after another under the sync advisory lock (a concurrent run → SyncBusyError).
 * A failing stream records its error and the others proceed; an amoCRM block or an abort stops the rest.
 */
export async function runSync(opts: SyncOptions): Promise<StreamResult[]> {
  const streams = selectStreams(opts.streams);
  return withSyncLock(opts.db, async () => {
    const results: StreamResult[] = [];
    let stopReason: string | undefined;
    for (const stream of streams) {
      if (opts.signal?.aborted) stopReason ??= 'aborted before it started';
      if (stopReason) {
        results.push({ stream: stream.name, fetched: 0, upserted: 0, deleted: 0, requests: 0, ms: 0, error: `skipped: ${stopReason}` });
        continue;
      }
      const r = await runStream(stream, opts);
      results.push(r);
      if (r.blocked) stopReason = 'amoCRM blocked the account';
      delete r.blocked;
    }
    // The ids of transactions that wrote, which API processes check their kept answers against, are kept an hour.
    await opts.db.any('SELECT app.trim_data_writes()');
    return results;
  });
}

function dedup<T>(stream: Stream<T>, items: T[]): T[] {
  if (items.length < 2) return items;
  const byKey = new Map<string | number, T>();
  for (const it of items) {
    const k = stream.key(it);
    const old = byKey.get(k);
    if (!old || !stream.version || stream.version(it) >= stream.version(old)) byKey.set(k, it);
  }
  return byKey.size === items.length ? items : [...byKey.values()];
}

interface BatchWrite {
  statements: Statement[];
  sql: string;
}

/** A batch's statements plus its cursor as one multi-statement query: Postgres runs it as one implicit transaction. */
function planBatch<T>(stream: Stream<T>, items: T[], state: unknown): BatchWrite {
  const statements = stream.plan(items).filter((st): st is Statement => st !== null);
  const sql = [...statements.map((st) => st.sql), saveStateSql(stream.name, state)].join(';\n');
  return { statements, sql };
}

/** Writes one batch of a stream with its cursor, exactly as a sync does (benchmarks use it on its own). */
export function writeBatch<T>(db: Db, stream: Stream<T>, items: T[], state: unknown): Promise<WriteResult> {
  return executeBatch(db, planBatch(stream, items, state));
}

/** `after`: one more statement for the same transaction (the run's counts), after the batch's own. */
async function executeBatch(db: Db, b: BatchWrite, after?: string): Promise<WriteResult> {
  const results = await db.multiResult(after ? `${b.sql};\n${after}` : b.sql);
  const out: WriteResult = { upserted: 0, deleted: 0 };
  b.statements.forEach((st, i) => {
    const r = results[i]!;
    if (st.counts === 'upserted') out.upserted += r.rowCount ?? 0;
    else if (st.counts === 'deleted') out.deleted += r.rowCount ?? 0;
    else if (st.counts === 'deleted_row') out.deleted += Number((r.rows[0] as { deleted?: number } | undefined)?.deleted ?? 0);
  });
  return out;
}

/** The oldest stored lead's creation (Unix s): leads sync before the streams that need it (ReadContext.oldestHint). */
async function oldestLead(db: SyncOptions['db']): Promise<number | undefined> {
  const r = await db.one<{ t: number | null }>('SELECT floor(extract(epoch FROM min(created_at)))::float8 AS t FROM amo.leads');
  return r.t ?? undefined;
}

async function runStream<T>(stream: Stream<T>, opts: SyncOptions): Promise<StreamResult & { blocked?: boolean }> {
  const { db, api, mode, signal } = opts;
  const started = Date.now();
  const before = api.stats();
  const result: StreamResult & { blocked?: boolean } = { stream: stream.name, fetched: 0, upserted: 0, deleted: 0, requests: 0, ms: 0, dbMs: 0 };
  const emit = (phase: ProgressEvent['phase'], fraction?: number) => {
    const s = api.stats();
    opts.progress?.({ stream: stream.name, phase, fraction, fetched: result.fetched, upserted: result.upserted, deleted: result.deleted, requests: s.requests - before.requests, error: result.error });
  };
  const runId = await openRun(db, stream.name, mode);
  emit('start', 0);
  try {
    const ctx: ReadContext = { api, mode, signal, wallNow: Math.floor(Date.now() / 1000), oldestHint: mode === 'full' ? await oldestLead(db) : undefined };
    const state = mode === 'full' ? undefined : await loadState(db, stream.name);
    const reconcile = stream.reconcile && (mode === 'full' || stream.reconcileEveryRun);
    const seen = reconcile ? new Set<string | number>() : undefined;
    const queue = new PageQueue<StreamPage<T>>(PREFETCH_PAGES);
    const keepStatistics = statisticsKeeper(db);
    const reader = (async () => {
      try {
        for await (const page of stream.read(ctx, state)) await queue.push(page);
        queue.end();
      } catch (err) {
        queue.end(err);
      }
    })();
    try {
      let readError: { error: unknown } | undefined;
      const take = () => queue.take(MAX_BATCH_ROWS).catch((error: unknown) => ((readError = { error }), null));
      const prepare = (batch: StreamPage<T>[]) => {
        const all = batch.length === 1 ? batch[0]!.items : batch.flatMap((p) => p.items);
        const items = dedup(stream, all);
        return { all, items, last: batch[batch.length - 1]!, write: planBatch(stream, items, batch[batch.length - 1]!.state) };
      };
      let batch = await take();
      let current = batch && prepare(batch);
      while (current) {
        const t0 = Date.now();
        // The run's counts so far ride along in the batch's transaction (upserted/deleted as of the batch before).
        const s = api.stats();
        const counts = { fetched: result.fetched + current.all.length, upserted: result.upserted, deleted: result.deleted, requests: s.requests - before.requests, throttled: s.throttled - before.throttled };
        const exec = executeBatch(db, current.write, runProgressSql(runId, counts));
        exec.catch(() => undefined); // awaited below; meanwhile a failure must not count as unhandled
        // Let the query leave, then fetch and format the next batch while Postgres executes this one.
        await new Promise((resolve) => setImmediate(resolve));
        const next = await take();
        let nextPrepared: ReturnType<typeof prepare> | null = null;
        let prepareError: { error: unknown } | undefined;
        try {
          nextPrepared = next && prepare(next);
        } catch (error) {
          prepareError = { error };
        }
        const w = await exec;
        result.dbMs! += Date.now() - t0;
        result.fetched += current.all.length;
        if (seen) for (const it of current.items) seen.add(stream.key(it));
        result.upserted += w.upserted;
        result.deleted += w.deleted;
        emit('page', current.last.progress);
        if (prepareError) throw prepareError.error;
        const a0 = Date.now();
        await keepStatistics();
        result.dbMs! += Date.now() - a0;
        current = nextPrepared;
      }
      if (readError) throw readError.error;
    } finally {
      queue.cancel();
      await reader;
    }
    if (signal?.aborted) {
      result.error = 'aborted: stopped after the last committed page';
    } else if (reconcile && seen) {
      const t0 = Date.now();
      result.deleted += await stream.reconcile!(db, seen, ctx);
      result.dbMs! += Date.now() - t0;
    }
  } catch (err) {
    const e = err as Error;
    result.error = scrub(e?.message ?? String(err));
    if (e?.name === 'AmoBlockedError') result.blocked = true;
    log().error({ stream: stream.name, err }, 'sync stream failed');
  }
  const after = api.stats();
  result.requests = after.requests - before.requests;
  result.throttled = after.throttled - before.throttled;
  result.ms = Date.now() - started;
  await closeRun(db, runId, result).catch((err) => log().error({ err }, 'could not record sync run'));
  emit('done', result.error ? undefined : 1);
  return result;
}
