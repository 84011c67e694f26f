import type { Config } from '../config';
import type { Db } from '../db';
import { checkedKpiContext, type KpiContext } from '../kpi/context';

/**
 * Kept answers older than this are dropped rather than checked: app.trim_data_writes keeps the ids of writing
 * transactions for at least an hour after they ended, so a snapshot this recent can still be checked against them.
 */
export const KEPT_SNAPSHOT_MAX_AGE_MS = 10 * 60 * 1000;

/** A request's context, and the generation of kept answers it may read and add to (none: -1). */
export interface CheckedContext {
  ctx: KpiContext;
  generation: number;
}

interface Kept {
  bytes: Buffer;
  /** The instant (epoch ms, as of the request's now) from which the answer may differ without a write. */
  until: number;
}

/**
 * The answers an API process sent, kept until a transaction writes what KPI answers read (migration 0019): a wall
 * TV and the browsers asking for the same board between two syncs then cost one query each, the one that reads
 * the account's zone. That query also says whether any transaction that wrote has become visible since the
 * snapshot the kept answers were checked at; if one has, every kept answer goes (a new generation).
 *
 * Why a kept answer still holds: each was computed after its request's check, so from data no older than the
 * generation's first snapshot; a later check that finds nothing written since the last checked snapshot proves the
 * data the same as then, and moves that snapshot on. A check or a computation that straddles a new generation
 * keeps nothing. What an answer depends on besides the data (the day, the zone, the query) is in its key.
 */
export class AnswerCache {
  private snapshot: string | null = null;
  private snapshotAt = 0;
  private generation = 0;
  private readonly kept = new Map<string, Kept>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly maxBytes = config.answerCacheBytes,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /** The request's context, read in the query that checks the kept answers. */
  async context(): Promise<CheckedContext> {
    const generation = this.generation;
    const askedAt = this.wallClock();
    const fresh = this.snapshot !== null && askedAt - this.snapshotAt <= KEPT_SNAPSHOT_MAX_AGE_MS;
    const { ctx, snapshot, written } = await checkedKpiContext(this.db, this.config, fresh ? this.snapshot : null);
    // Another check started a generation meanwhile: this one's answer says nothing about it.
    if (this.generation !== generation) return { ctx, generation: -1 };
    if (written) this.newGeneration();
    this.snapshot = snapshot;
    this.snapshotAt = askedAt;
    return { ctx, generation: this.generation };
  }

  /** The answer kept under `key`, if it was kept in this generation and still holds at `at` (epoch ms). */
  get(key: string, generation: number, at: number): Buffer | undefined {
    if (generation !== this.generation) return undefined;
    const k = this.kept.get(key);
    if (k === undefined || at >= k.until) {
      if (k !== undefined) this.drop(key, k);
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Least recently used goes first: a Map iterates in insertion order.
    this.kept.delete(key);
    this.kept.set(key, k);
    return k.bytes;
  }

  /** Keeps an answer computed in `generation`, until a write or the instant `until` (epoch ms). */
  put(key: string, generation: number, bytes: Buffer, until = Infinity): void {
    // Computed from data of a generation that has ended; or larger than a quarter of the room.
    if (generation !== this.generation || bytes.byteLength * 4 > this.maxBytes) return;
    const old = this.kept.get(key);
    if (old) this.drop(key, old);
    this.kept.set(key, { bytes, until });
    this.bytes += bytes.byteLength;
    for (const [k, v] of this.kept) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(k, v);
    }
  }

  private drop(key: string, k: Kept): void {
    this.kept.delete(key);
    this.bytes -= k.bytes.byteLength;
  }

  /** For /healthz/answers and the tests. */
  get stats(): { answers: number; bytes: number; generation: number; hits: number; misses: number } {
    return { answers: this.kept.size, bytes: this.bytes, generation: this.generation, hits: this.hits, misses: this.misses };
  }

  private newGeneration(): void {
    this.generation++;
    this.kept.clear();
    this.bytes = 0;
  }
}
