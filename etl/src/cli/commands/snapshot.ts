import type { Command } from 'commander';
import { backfillSnapshots, snapshotDay, type SnapshotResult } from '../../kpi/snapshot';
import { loadKpiContext } from '../../kpi/context';
import { KpiInputError, parseDate } from '../../kpi/time';
import { prepare, withDatabase } from '../context';

function line(r: SnapshotResult): string {
  return r.kept
    ? `${r.date}: already frozen (${r.source}, as of ${r.asOf}); left unchanged`
    : `${r.date}: ${r.source} as of ${r.asOf}, ${r.pipelines} pipeline view(s), ${r.managerRows} manager row(s)`;
}

export function register(program: Command): void {
  program
    .command('snapshot')
    .description("freeze a day's per-manager and department figures (default: today in the account zone)")
    .option('--date <YYYY-MM-DD>', 'the day to freeze; days before yesterday can only be reconstructed')
    .option('--from <YYYY-MM-DD>', 'back-fill: reconstruct every day from this one that is not stored complete yet (tasks null)')
    .option('--to <YYYY-MM-DD>', 'last day of the back-fill (default and latest: yesterday; today is live)')
    .action(async (opts: { date?: string; from?: string; to?: string }) => {
      const config = prepare();
      if (opts.date) parseDate(opts.date);
      if (opts.from) parseDate(opts.from, 'from');
      if (opts.to) parseDate(opts.to, 'to');
      if (opts.date && (opts.from || opts.to)) throw new KpiInputError('use either --date or --from/--to');
      if (opts.to && !opts.from) throw new KpiInputError('--to needs --from');
      if (opts.from && opts.to && opts.from > opts.to) throw new KpiInputError(`--from ${opts.from} is after --to ${opts.to}`);
      await withDatabase(config, async ({ db }) => {
        if (opts.from) {
          const { today, zone } = await loadKpiContext(db, config);
          // Back-fill stores finished days only; a range with none is a mistake worth one line, not "0 day(s)".
          if (opts.from >= today) throw new KpiInputError(`--from ${opts.from} is not a past day (today is ${today} in ${zone}; it is live, and \`snapshot\` without options freezes it so far)`);
          // A line as each day is stored (about 2 s a day at 1M leads), not all of them at the end.
          const done = await backfillSnapshots(db, config, opts.from, opts.to ?? '9999-12-31', {
            onDay: (n, total, r) => process.stdout.write(`${String(n).padStart(String(total).length)}/${total} ${line(r)}\n`),
          });
          process.stdout.write(`back-filled ${done.length} day(s)\n`);
          return;
        }
        process.stdout.write(`${line(await snapshotDay(db, config, opts.date))}\n`);
      });
    });
}
