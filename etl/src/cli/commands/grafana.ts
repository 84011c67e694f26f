import { Command, Option } from 'commander';
import { ConfigError } from '../../config';
import { registerSecret } from '../../log';
import { prepare, withDatabase } from '../context';
import type { GrafanaAuth } from '../../grafana/client';
import { grafanaSetup } from '../../grafana/setup';
import { setGrafanaRolePassword, GRAFANA_DB_ROLE } from '../../grafana/dbRole';
import { DASHBOARDS_DIR, tvBrowserCommand } from '../../grafana/board';
import { syncDashboardFiles } from '../../grafana/dashboards';

interface SetupFlags {
  url: string;
  token?: string;
  user?: string;
  publicUrl?: string;
  interval: string;
  dbPassword: boolean;
}

function authFrom(flags: SetupFlags): GrafanaAuth {
  if (flags.token) return { token: flags.token };
  if (flags.user) {
    const password = process.env.GRAFANA_PASSWORD;
    if (!password) throw new ConfigError('GRAFANA_PASSWORD: required with --user (the Grafana password of that login)');
    registerSecret(password);
    return { user: flags.user, password };
  }
  throw new ConfigError('--token: required (a Grafana service-account token; or set GRAFANA_TOKEN, or use --user with GRAFANA_PASSWORD)');
}

export function register(program: Command): void {
  const grafana = program.command('grafana').description('Grafana set-up: the TV playlist and checks of the provisioned pieces');
  grafana
    .command('setup')
    .description(
      'create or update the TV playlist, check the provisioned data sources, dashboards and alert rules, print the kiosk URL; ' +
        'with AMOKPI_GRAFANA_DB_PASSWORD set, also store that password on the read-only database role Grafana uses',
    )
    .addOption(new Option('--url <url>', 'Grafana base URL').env('GRAFANA_URL').default('http://localhost:3000'))
    .addOption(new Option('--token <token>', 'service-account token (Editor; Admin also lets setup check data sources and alert rules)').env('GRAFANA_TOKEN'))
    .addOption(new Option('--user <login>', 'basic auth instead of a token; the password comes from GRAFANA_PASSWORD').env('GRAFANA_USER'))
    .addOption(new Option('--public-url <url>', 'Grafana URL as the TV reaches it (default: --url)').env('GRAFANA_PUBLIC_URL'))
    .option('--interval <duration>', 'time each dashboard stays on the TV', '1m')
    .option('--no-db-password', 'do not touch the database role even if AMOKPI_GRAFANA_DB_PASSWORD is set')
    .action(async (flags: SetupFlags) => {
      const config = prepare();
      if (!/^\d+[smh]$/.test(flags.interval)) throw new ConfigError('--interval: must be a duration like 30s, 1m or 5m');
      for (const [flag, env, value] of [['--url', 'GRAFANA_URL', flags.url], ['--public-url', 'GRAFANA_PUBLIC_URL', flags.publicUrl]] as const) {
        if (value !== undefined && !/^https?:\/\/[^/\s]+/i.test(value)) {
          throw new ConfigError(`${flag} (or ${env}): must be an http(s) URL like http://localhost:3000, got "${value}"`);
        }
      }
      if (flags.token) registerSecret(flags.token);
      const auth = authFrom(flags);

      if (flags.dbPassword && config.grafanaDbPassword) {
        const password = config.grafanaDbPassword;
        registerSecret(password);
        const stored = await withDatabase(config, ({ db }) => setGrafanaRolePassword(db, password));
        process.stdout.write(
          stored
            ? `database role ${GRAFANA_DB_ROLE}: password set from AMOKPI_GRAFANA_DB_PASSWORD\n`
            : `database role ${GRAFANA_DB_ROLE}: missing (the migrating user may not create roles); create it as a DBA, then run amokpi migrate\n`,
        );
      }

      const report = await grafanaSetup({ url: flags.url, auth, publicUrl: flags.publicUrl, interval: flags.interval });
      const out: string[] = [`Grafana ${report.version} at ${flags.url.replace(/\/+$/, '')}`];
      for (const c of report.checks) out.push(`${c.ok === true ? 'ok     ' : c.ok === false ? 'MISSING' : 'skipped'}  ${c.what}${c.detail ? `: ${c.detail}` : ''}`);
      out.push(`playlist ${report.playlist.uid}: ${report.playlist.action} (${report.playlist.api})`);
      out.push('', 'Open on the TV (kiosk mode):', report.kioskUrl, '', 'e.g. with Chromium on the TV box:', tvBrowserCommand(report.kioskUrl), '');
      process.stdout.write(out.join('\n'));
      if (report.missing.length) {
        process.stderr.write(`amokpi: ${report.missing.length} provisioned piece(s) missing: ${report.missing.map((c) => c.what).join(', ')}\n`);
        process.exitCode = 1;
      }
    });

  grafana
    .command('dashboards')
    .description('regenerate the provisioned dashboards (dashboards/*.json) from etl/src/grafana/dashboards; --check only reports drift')
    .option('--dir <dir>', 'output folder', DASHBOARDS_DIR)
    .option('--check', 'exit 1 if a committed file differs from the generator')
    .action((flags: { dir: string; check?: boolean }) => {
      const changed = syncDashboardFiles(flags.dir, flags.check ? 'check' : 'write');
      if (flags.check && changed.length) {
        process.stderr.write(`amokpi: dashboards out of date: ${changed.join(', ')} (run: npx amokpi grafana dashboards)\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(changed.length ? `${flags.check ? 'differ' : 'written'}: ${changed.join(', ')}\n` : 'dashboards up to date\n');
    });
}
