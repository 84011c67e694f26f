import { performance } from 'node:perf_hooks';
import { startCluster, type Cluster } from '../test/support/cluster';
import { pgp, type Db } from '../src/db';
import { migrate } from '../src/db/migrate';
import { closePool } from '../src/db/close';

export function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

export function intOption(args: string[], name: string, fallback: number): number {
  const v = option(args, name);
  if (v === undefined) return fallback;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export interface Timing {
  p50: number;
  p95: number;
  n: number;
}

/** Runs fn sequentially: a few warm-up calls, then `iterations` timed calls (ms). */
export async function time(fn: () => Promise<unknown>, iterations: number, warmup = 3): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return timing(samples);
}

function timing(samples: number[]): Timing {
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), n: samples.length };
}

/**
 * Times ways of doing the same thing, taking turns call by call with the first turn rotating (a b c, b c a, c a b …)
 * after a warm-up of each: on a machine that drifts, ways measured in separate blocks compare different minutes,
 * not different code.
 */
export async function timeInTurns(fns: (() => Promise<unknown>)[], iterations: number, warmup = 10): Promise<Timing[]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const samples: number[][] = fns.map(() => []);
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < fns.length; k++) {
      const j = (i + k) % fns.length;
      const t0 = performance.now();
      await fns[j]!();
      samples[j]!.push(performance.now() - t0);
    }
  }
  return samples.map(timing);
}

/** A throwaway Postgres cluster with one migrated database; stop() removes everything. */
export async function benchDatabase(): Promise<{ db: Db; url: string; stop(): Promise<void>; cluster: Cluster }> {
  const cluster = await startCluster();
  const admin = pgp({ connectionString: cluster.adminUrl, max: 1 });
  await admin.none('CREATE DATABASE bench');
  await admin.none("ALTER DATABASE bench SET work_mem = '64MB'");
  await closePool(admin);
  const url = cluster.urlFor('bench');
  await migrate(url, { quiet: true });
  const db = pgp({ connectionString: url, max: 20 });
  // An interrupted bench must not leave its Postgres running.
  const onSignal = () => {
    void cluster.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    db,
    url,
    cluster,
    async stop() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await closePool(db);
      await cluster.stop();
    },
  };
}

export const ms = (x: number) => `${x.toFixed(1)} ms`.padStart(10);
