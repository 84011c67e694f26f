import path from 'node:path';
import { log } from '../log';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

/** Applies pending migrations; idempotent and safe to run concurrently (node-pg-migrate's advisory lock). */
export async function migrate(databaseUrl: string, opts: { quiet?: boolean } = {}): Promise<string[]> {
  const { runner } = await import('node-pg-migrate');
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    migrationsSchema: 'public',
    checkOrder: true,
    // Concurrent `amokpi migrate` runs queue on the advisory lock instead of failing (option missing from the typings).
    ...({ advisoryLockMode: 'wait' } as object),
    count: Infinity,
    verbose: false,
    log: opts.quiet ? () => {} : (m: string) => log().debug({ migrate: m }, 'migrate'),
  });
  return applied.map((m) => m.name);
}
