import type { Command } from 'commander';
import { snapshotDay } from '../../kpi/snapshot';
import { parseDate } from '../../kpi/time';
import { prepare, withDatabase } from '../context';

export function register(program: Command): void {
  program
    .command('snapshot')
    .description("freeze a day's per-manager and department figures (default: today in the account zone)")
    .option('--date <YYYY-MM-DD>', 'the day to freeze; days before yesterday can only be reconstructed')
    .action(async (opts: { date?: string }) => {
      const config = prepare();
      if (opts.date) parseDate(opts.date);
      await withDatabase(config, async ({ db }) => {
        const r = await snapshotDay(db, config, opts.date);
        process.stdout.write(
          r.kept
            ? `${r.date}: already frozen (${r.source}, as of ${r.asOf}); left unchanged\n`
            : `${r.date}: ${r.source} as of ${r.asOf}, ${r.pipelines} pipeline view(s), ${r.managerRows} manager row(s)\n`,
        );
      });
    });
}
