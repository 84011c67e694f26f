import { startServer } from '../src/api/server';
import { loadConfig } from '../src/config';
import { createLogger, setLogger } from '../src/log';
import { generateAccount } from './_kpi-data';
import { benchDatabase, intOption } from './_support';

const TOKEN = 'bench-read-token';

/**
 * `npm run bench -- load [--leads N] [--connections C] [--duration S]`: autocannon against
 * GET /api/v1/kpi/managers on a generated account (default 1 000 000 leads, 50 connections, 30 s).
 * Prints requests/s, latency percentiles (p99 included), errors and non-2xx answers.
 */
export default async function (args: string[]): Promise<void> {
  setLogger(createLogger({ level: 'warn' }));
  const leads = intOption(args, 'leads', 1_000_000);
  const connections = intOption(args, 'connections', 50);
  const duration = intOption(args, 'duration', 30);
  const bench = await benchDatabase();
  try {
    await generateAccount(bench.db, { leads, events: leads * 5, managers: 200, snapshotDays: 60 });
    const config = loadConfig({ AMOKPI_API_TOKEN: TOKEN, AMOKPI_ADMIN_TOKEN: 'bench-admin-token', AMOKPI_PORT: '0', LOG_LEVEL: 'warn' });
    const server = await startServer({ config, db: bench.db });
    try {
      const { default: autocannon } = await import('autocannon');
      const result = await autocannon({
        url: `${server.url}/api/v1/kpi/managers`,
        connections,
        duration,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const l = result.latency;
      process.stdout.write(
        `\n# load: GET /api/v1/kpi/managers, ${leads} leads, ${connections} connections x ${duration} s\n` +
          `requests: ${result.requests.total} (${result.requests.average.toFixed(1)}/s), 2xx: ${result['2xx']}, non-2xx: ${result.non2xx}, ` +
          `errors: ${result.errors}, timeouts: ${result.timeouts}\n` +
          `latency ms: p50 ${l.p50}, p90 ${l.p90}, p97.5 ${l.p97_5}, p99 ${l.p99}, max ${l.max}, mean ${l.average.toFixed(1)}\n`,
      );
    } finally {
      await server.close();
    }
  } finally {
    await bench.stop();
  }
}
