import type { Command } from 'commander';
import { openDatabase } from '../../db';
import { migrate } from '../../db/migrate';
import { prepare } from '../context';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('apply database migrations (idempotent; safe to run concurrently)')
    .action(async () => {
      const config = prepare();
      const database = await openDatabase(config);
      try {
        const applied = await migrate(database.url);
        process.stdout.write(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await database.close();
      }
    });
}
