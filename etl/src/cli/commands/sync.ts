import type { Command } from 'commander';
import { ConfigError } from '../../config';
import { prepare, withDatabase } from '../context';
import { runSync, selectStreams } from '../../sync/engine';
import { apiFromConfig } from '../../sync/client';
import { formatJson, formatLine, historyProgress, terminalReporter } from '../../sync/report';
import { streamNames } from '../../sync/streams';
import { backfillLoadedHistory } from '../../kpi/snapshot';

interface SyncFlags {
  full?: boolean;
  stream?: string[];
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('sync')
    .description('load amoCRM into Postgres: incremental by default; --full re-reads everything and reconciles deletions')
    .option('--full', 'full pass: re-read every stream from the beginning and remove what amoCRM no longer lists')
    .option('--stream <name...>', `only these streams (${streamNames().join(', ')}); repeat or comma-separate`)
    .option('--json', 'one JSON object per stream and line: {"stream","fetched","upserted","deleted","requests","ms"}')
    .action(async (flags: SyncFlags) => {
      const config = prepare();
      const names = flags.stream?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
      try {
        selectStreams(names); // an unknown name fails before anything is opened
      } catch (err) {
        throw new ConfigError(`--stream: ${(err as Error).message}`); // a usage error: exit 2, as a bad flag
      }
      const mode = flags.full ? 'full' : 'incremental';
      await withDatabase(config, async ({ db }) => {
        const api = apiFromConfig(config, db);
        const controller = new AbortController();
        // SIGTERM/SIGINT: finish the current page, commit it, report, exit.
        const abort = () => controller.abort();
        process.once('SIGTERM', abort);
        process.once('SIGINT', abort);
        // Every run shows progress, incremental ones too (a first sync reads the whole history).
        const reporter = terminalReporter({ tty: Boolean(process.stderr.isTTY), json: flags.json });
        try {
          const results = await runSync({ db, config, api, mode, streams: names, signal: controller.signal, progress: reporter.onProgress });
          reporter.stop();
          for (const r of results) process.stdout.write((flags.json ? formatJson(r) : formatLine(r)) + '\n');
          const failed = results.filter((r) => r.error);
          if (failed.length) {
            process.exitCode = 1;
            throw new Error(`sync failed for ${failed.map((r) => `${r.stream} (${r.error})`).join('; ')}`);
          }
          if (mode === 'full' && !names?.length) {
            const days = terminalReporter({ tty: Boolean(process.stderr.isTTY), json: flags.json });
            const history = await backfillLoadedHistory(db, config, { onDay: historyProgress(days) }).finally(() => days.stop());
            if (history && !flags.json) process.stdout.write(`history: ${history.days} reconstructed day(s) stored for ${history.from}..${history.to}\n`);
          }
        } finally {
          reporter.stop();
          process.off('SIGTERM', abort);
          process.off('SIGINT', abort);
          await api.close();
        }
      });
    });
}
