import { InvalidArgumentError, type Command } from 'commander';
import { startSimulator, type SimulatorOptions } from '../../simulator';
import { stopSignal } from '../stop-signal';
import { ConfigError } from '../../config';
import { listenError } from '../../net';

const int = (what: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min) throw new InvalidArgumentError(`${what} must be an integer >= ${min}`);
  return n;
};
const collect = (v: string, prev: string[] = []) => [...prev, v];

interface Flags {
  port: number;
  host: string;
  seed: number;
  token?: string[];
  managers?: number;
  pipelines?: number;
  leads?: number;
  months?: number;
  live?: boolean;
  liveInterval?: number;
  rps: number;
  timezone?: string;
  now?: string;
  subdomain?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  redirectUri?: string;
  block?: boolean;
}

export function register(program: Command): void {
  program
    .command('simulator')
    .description('run a simulated amoCRM v4 account (deterministic agency from a seed) in the foreground')
    .option('--port <port>', 'TCP port (0 = random)', int('--port', 0), 0)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--seed <n>', 'dataset seed', int('--seed', 0), 1)
    .option('--token <token>', 'accepted long-lived bearer token (repeatable; default sim-token)', collect)
    .option('--managers <n>', 'active managers', int('--managers', 1))
    .option('--pipelines <n>', 'pipelines', int('--pipelines', 1))
    .option('--leads <n>', 'leads in the history', int('--leads', 0))
    .option('--months <n>', 'months of history', int('--months', 1))
    .option('--live', 'keep creating activity (leads, moves, wins, calls, messages, tasks, deletions)')
    .option('--live-interval <ms>', 'milliseconds between live mutations', int('--live-interval', 10))
    .option('--rps <n>', 'requests per second per token (0 = unlimited)', int('--rps', 0), 7)
    .option('--timezone <zone>', 'account time zone (IANA)')
    .option('--now <iso>', 'instant the generated history ends at')
    .option('--subdomain <name>', 'account subdomain')
    .option('--oauth-client-id <id>', 'enable OAuth with this client_id')
    .option('--oauth-client-secret <secret>', 'OAuth client_secret')
    .option('--redirect-uri <uri>', 'OAuth redirect_uri registered for the integration')
    .option('--block', 'answer 403 (nginx HTML) to everything, like a blocked account')
    .action(async (f: Flags) => {
      const oauthParts = [f.oauthClientId, f.oauthClientSecret, f.redirectUri];
      if (oauthParts.some(Boolean) && !oauthParts.every(Boolean)) {
        throw new Error('OAuth mode needs --oauth-client-id, --oauth-client-secret and --redirect-uri together');
      }
      const opts: SimulatorOptions = {
        port: f.port,
        host: f.host,
        seed: f.seed,
        token: f.token,
        size: { managers: f.managers, pipelines: f.pipelines, leads: f.leads, months: f.months },
        live: f.live ? { intervalMs: f.liveInterval } : false,
        rps: f.rps,
        timezone: f.timezone,
        now: f.now,
        subdomain: f.subdomain,
        blocked: f.block,
        oauth: f.oauthClientId ? { clientId: f.oauthClientId, clientSecret: f.oauthClientSecret!, redirectUri: f.redirectUri! } : undefined,
      };
      for (const k of Object.keys(opts.size!) as (keyof NonNullable<SimulatorOptions['size']>)[]) if (opts.size![k] === undefined) delete opts.size![k];
      if (f.port > 65535) throw new ConfigError(`--port: must be a TCP port 0-65535, got ${f.port}`);
      const stopped = stopSignal();
      // A taken port or a host that is not this machine's: one line naming --port / --host.
      const sim = await startSimulator(opts).catch((err: NodeJS.ErrnoException) => {
        throw err && typeof err.code === 'string' && err.syscall ? listenError(err, f.host, f.port, '--port', '--host') : err;
      });
      const out = process.stdout;
      out.write(`amoCRM simulator listening on ${sim.url}\n`);
      // The default token is no secret (it is in --help): say it, so AMOCRM_ACCESS_TOKEN can be set from this line.
      out.write(f.token ? `tokens: ${f.token.length} long-lived token(s) accepted\n` : 'tokens: 1 long-lived token accepted: sim-token (the default; --token sets your own)\n');
      if (opts.oauth) out.write(`authorization code (single use, 20 minutes): ${sim.issueAuthCode()}\n`);
      await stopped;
      await sim.close();
      const s = sim.stats();
      out.write(`simulator stopped after ${s.total} request(s), ${s.throttled} throttled\n`);
    });
}
