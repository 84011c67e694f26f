import type { Command } from 'commander';
import { requireTokens } from '../../config';
import { startServer } from '../../api/server';
import { prepare, withDatabase } from '../context';
import { stopSignal } from '../stop-signal';

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the KPI HTTP API (needs AMOKPI_API_TOKEN and AMOKPI_ADMIN_TOKEN)')
    .action(async () => {
      const config = prepare();
      requireTokens(config);
      await withDatabase(config, async ({ db }) => {
        const stopped = stopSignal();
        const server = await startServer({ config, db });
        process.stdout.write(`amokpi API on ${server.url} (plans editor: ${server.url}/admin/plans)\n`);
        await stopped;
        await server.close();
      });
    });
}
