import type { AmoApi } from '../amocrm/api';
import type { Db } from '../db/pgp';

export type SyncMode = 'incremental' | 'full';

/** One page of a stream: validated items plus the cursor to commit in the same transaction. */
export interface StreamPage<T> {
  items: T[];
  state: unknown;
  /** 0..1 when the walker can tell how far through its range it is. */
  progress?: number;
}

export interface ReadContext {
  api: AmoApi;
  mode: SyncMode;
  signal?: AbortSignal;
  /**
   * The machine's real clock (Unix s) at the start of the run — never AMOKPI_NOW. It may only hold a
   * cursor back (closed event windows), never move one forward: cursors come from the data.
   */
  wallNow: number;
  /**
   * In a full pass, the oldest created_at of the stored leads (Unix s), or undefined: where a walk over the whole
   * history starts, as a progress bar needs it (the walk's own lower bound there is 1970).
   */
  oldestHint?: number;
}

/**
 * One SQL statement of a page's write, built in JS before it is sent. `counts` says what its result adds up
 * to: its row count as upserted or deleted rows, or (deleted_row) the `deleted` column of its single row.
 */
export interface Statement {
  sql: string;
  counts?: 'upserted' | 'deleted' | 'deleted_row';
}

export interface WriteResult {
  upserted: number;
  deleted: number;
}

/**
 * A stream: one amoCRM collection and how it lands in Postgres. The engine owns the loop (dedup,
 * transaction per page, cursor commit, counting, sync_runs); a stream only reads and writes.
 */
export interface Stream<T = unknown> {
  name: string;
  /** Pages of items with the cursor to commit after each; `state` is the committed cursor (undefined in full mode). */
  read(ctx: ReadContext, state: unknown): AsyncGenerator<StreamPage<T>, void, undefined>;
  /** Dedup key within a page (the newest version wins, see `version`). */
  key(item: T): string | number;
  version?(item: T): number;
  /**
   * The statements that write one deduplicated batch. They are built here (pure JS) and sent by the engine
   * together with the cursor as one multi-statement query — one implicit transaction, one round trip — so
   * the next batch can be formatted while Postgres executes this one.
   */
  plan(items: T[]): Array<Statement | null>;
  /**
   * After a complete walk: set difference against the keys seen (full mode, or every run if `reconcileEveryRun`).
   * A walk over live data can miss a row, so what was not seen is only a candidate: the stream asks amoCRM
   * about the candidates (ctx.api) before it deletes anything. Returns the rows deleted.
   */
  reconcile?(db: Db, seen: Set<string | number>, ctx: ReadContext): Promise<number>;
  reconcileEveryRun?: boolean;
}

export interface StreamResult {
  stream: string;
  fetched: number;
  upserted: number;
  deleted: number;
  requests: number;
  ms: number;
  error?: string;
  /** 429 answers during the stream (recorded in sync_runs.throttled). */
  throttled?: number;
  /** Milliseconds spent in Postgres transactions (benchmarks). */
  dbMs?: number;
}

export interface ProgressEvent {
  stream: string;
  phase: 'start' | 'page' | 'done';
  fetched: number;
  upserted: number;
  deleted: number;
  requests: number;
  /** 0..1 when known. */
  fraction?: number;
  error?: string;
}
