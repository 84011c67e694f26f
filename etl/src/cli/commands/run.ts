import type { Command } from 'commander';
import { requireAmocrm, requireTokens } from '../../config';
import { startServer } from '../../api/server';
import { startWorker } from '../../sync/worker';
import { prepare, withDatabase } from '../context';
import { stopSignal } from '../stop-signal';

export function register(program: Command): void {
  program
    .command('run')
    .description('the long-running worker: scheduled syncs (AMOKPI_SYNC_CRON, AMOKPI_FULL_SYNC_CRON), end-of-day snapshots, OAuth keep-alive and the KPI API')
    .action(async () => {
      const config = prepare();
      requireAmocrm(config);
      requireTokens(config);
      await withDatabase(config, async ({ db }) => {
        const stopped = stopSignal();
        const server = await startServer({ config, db });
        const worker = startWorker({ config, db });
        process.stdout.write(`amokpi worker: sync "${config.syncCron}", full reconcile "${config.fullSyncCron}"; API on ${server.url}\n`);
        await stopped;
        // The running sync finishes its current page and commits; then the API and the pool close.
        await worker.stop();
        await server.close();
        process.stdout.write('amokpi worker stopped\n');
      });
    });
}
