import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../../config';
import { openDatabase } from '../../db';
import { embeddedInUse } from '../../db/embedded';
import { migrate } from '../../db/migrate';
import { createLogger, registerSecret, setLogger, log } from '../../log';
import { startSimulator } from '../../simulator';
import { createAmoClient } from '../../amocrm/client';
import { longLivedAuth } from '../../amocrm/auth';
import { runSync } from '../../sync/engine';
import { startWorker } from '../../sync/worker';
import { formatLine, historyProgress, terminalReporter } from '../../sync/report';
import { startServer } from '../../api/server';
import { seedDemoPlans } from '../../demo/plans';
import { backfillLoadedHistory } from '../../kpi/snapshot';
import { stopSignal } from '../stop-signal';
import { registerConfigSecrets } from '../context';
import { assertCanListen } from '../../net';

const REPO_ROOT = path.resolve(__dirname, '../../../..');

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(`${flag}: must be a positive integer, got "${value}"`);
  return n;
}

function secret(): string {
  return randomBytes(18).toString('base64url');
}

/** The sync schedule as the banner says it: the demo's own default in words, anything else as given. */
function schedule(cron: string): string {
  return cron.trim() === '* * * * *' ? 'every minute' : `on the schedule AMOKPI_SYNC_CRON="${cron}"`;
}

/**
 * Everything on embedded defaults: a fresh embedded Postgres under <AMOKPI_DATA_DIR>/demo, the amoCRM
 * simulator in live mode, migrations, a full sync, the worker and the API. Ctrl-C stops it all.
 */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run everything on embedded defaults with a simulated amoCRM account (Ctrl-C stops)')
    .option('--seed <n>', 'simulated account seed', '1')
    .option('--leads <n>', 'leads in the simulated account (the first sync at 6 requests/s grows with it)', '1000')
    .option('--months <n>', 'months of generated history', '4')
    .option('--keep', 'keep the demo database from the previous run instead of starting fresh')
    .action(async (opts: { seed: string; leads: string; months: string; keep?: boolean }) => {
      const size = { leads: positiveInt('--leads', opts.leads), months: positiveInt('--months', opts.months), managers: 10 };
      const seed = positiveInt('--seed', opts.seed);
      const started = Date.now();
      const env = { ...process.env };
      env.AMOKPI_API_TOKEN ||= secret();
      env.AMOKPI_ADMIN_TOKEN ||= secret();
      env.AMOKPI_SYNC_CRON ||= '* * * * *';
      const simToken = secret();
      const base = loadConfig(env);
      setLogger(createLogger({ level: base.logLevel }));
      registerConfigSecrets(base);
      registerSecret(simToken);

      // Ctrl-C at any moment, even during the first sync, stops everything cleanly.
      const controller = new AbortController();
      const stopRequested = stopSignal().then(() => controller.abort());

      // The API starts after the first sync: a taken port must fail now, not after it.
      await assertCanListen(base.host, base.port, 'AMOKPI_PORT');
      const dataDir = path.join(base.dataDir, 'demo');
      if (!base.databaseUrl && !opts.keep) {
        // Starting fresh deletes the database: never under a demo (or any command) still using it.
        const user = embeddedInUse(dataDir);
        if (user !== undefined) {
          throw new ConfigError(`${dataDir}: another amokpi (pid ${user}) is using this demo database; stop it first, or give this demo its own AMOKPI_DATA_DIR`);
        }
        fs.rmSync(path.join(dataDir, 'pg'), { recursive: true, force: true });
      }
      const sim = await startSimulator({ port: 0, seed, size, token: simToken, live: true });
      const config: Config = { ...base, dataDir, amocrm: { ...base.amocrm, baseUrl: sim.url, accessToken: simToken } };
      const database = await openDatabase(config);
      await migrate(database.url, { quiet: true });
      const api = createAmoClient({ baseUrl: sim.url, auth: longLivedAuth(simToken), rps: config.amocrm.rps });
      process.stdout.write(`amokpi demo: simulated amoCRM at ${sim.url}; first full sync…\n`);
      // ~20 s at the default size, minutes with --leads 100000: bars on a terminal, log lines otherwise.
      const reporter = terminalReporter({ tty: Boolean(process.stderr.isTTY) });
      const results = await runSync({ db: database.db, config, api, mode: 'full', signal: controller.signal, progress: (e) => reporter.onProgress(e) }).finally(() => reporter.stop());
      for (const r of results) process.stdout.write(`  ${formatLine(r)}\n`);
      if (controller.signal.aborted) {
        process.stdout.write('amokpi demo: stopped during the first sync\n');
        await api.close();
        await sim.close();
        await database.close();
        return;
      }
      const days = terminalReporter({ tty: Boolean(process.stderr.isTTY) });
      const history = await backfillLoadedHistory(database.db, config, { onDay: historyProgress(days) }).finally(() => days.stop());
      if (history) process.stdout.write(`  stored reconstructed history for ${history.days} past day(s) (${history.from}..${history.to})\n`);
      const plans = await seedDemoPlans(database.db, config);
      process.stdout.write(`  entered ${plans} demo plans (this month and the previous one)\n`);
      const worker = startWorker({ config, db: database.db, api, syncOnStart: false });
      const server = await startServer({ config, db: database.db });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const dbUrl = new URL(database.url);
      const pgHost = `${dbUrl.hostname}:${dbUrl.port}`;
      const pgDatabase = dbUrl.pathname.slice(1);
      process.stdout.write(
        [
          '',
          `amokpi demo is up (${seconds} s). The simulated account keeps moving; the worker syncs ${schedule(config.syncCron)}.`,
          `  KPI API:      ${server.url}/api/v1/kpi/managers`,
          `  Health:       ${server.url}/healthz`,
          `  Plans admin:  ${server.url}/admin/plans`,
          `  OpenAPI:      ${server.url}/api/v1/openapi.json`,
          '',
          `AMOKPI_API_TOKEN=${config.apiToken}`,
          `AMOKPI_ADMIN_TOKEN=${config.adminToken}`,
          '',
          'Try:',
          `  curl -H "Authorization: Bearer ${config.apiToken}" ${server.url}/api/v1/kpi/managers`,
          '',
          'Point an existing Grafana (>= 12.3) at it:',
          `  1. plugin: npm run build -w plugin, then copy ${path.join(REPO_ROOT, 'plugin', 'dist')} to <grafana plugins dir>/amokpi-sales-datasource`,
          '     and set GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=amokpi-sales-datasource',
          `  2. provisioning: copy ${path.join(REPO_ROOT, 'provisioning')}/{datasources,dashboards,alerting} into Grafana's provisioning folder`,
          `     and ${path.join(REPO_ROOT, 'dashboards')}/*.json into /var/lib/grafana/dashboards/amokpi (the path provisioning/dashboards/amokpi.yaml reads)`,
          '  3. Grafana\'s environment:',
          `     AMOKPI_API_URL=${server.url}  AMOKPI_API_TOKEN=${config.apiToken}`,
          `     AMOKPI_PG_HOST=${pgHost}  AMOKPI_PG_DATABASE=${pgDatabase}  AMOKPI_PG_SSLMODE=disable  AMOKPI_GRAFANA_DB_PASSWORD=<a password you choose>`,
          '  4. restart Grafana, then: AMOKPI_GRAFANA_DB_PASSWORD=<same password> DATABASE_URL=<printed below> \\',
          '       npx amokpi grafana setup --url http://localhost:3000 --token <service-account token>',
          `     DATABASE_URL=${database.url}`,
          '',
          'Ctrl-C stops the demo.',
          '',
        ].join('\n'),
      );

      await stopRequested;
      process.stdout.write('amokpi demo: stopping…\n');
      await worker.stop();
      await server.close();
      await api.close();
      await sim.close();
      await database.close();
      log().info('demo stopped');
    });
}
