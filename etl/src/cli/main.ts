import path from 'node:path';
import { Command, CommanderError } from 'commander';
import dotenv from 'dotenv';
import { ConfigError } from '../config';
import { scrub } from '../log';
import { register as migrate } from './commands/migrate';
import { register as sync } from './commands/sync';
import { register as serve } from './commands/serve';
import { register as run } from './commands/run';
import { register as snapshot } from './commands/snapshot';
import { register as plans } from './commands/plans';
import { register as grafana } from './commands/grafana';
import { register as demo } from './commands/demo';
import { register as simulator } from './commands/simulator';

export function buildProgram(): Command {
  const program = new Command('amokpi')
    .description('Sales-department KPI board for amoCRM (Kommo): ETL, KPI API and Grafana set-up')
    .version('0.1.0')
    .showHelpAfterError('(run "amokpi --help" for the list of commands)')
    // Before the commands are added: subcommands inherit it, so their usage errors reach main() too.
    .exitOverride();
  for (const reg of [migrate, sync, serve, run, snapshot, plans, grafana, demo, simulator]) reg(program);
  return program;
}

/** One line a user can act on; connection failures name what was unreachable. */
function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e && (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EHOSTUNREACH') && (e.address || e.port || (e as { hostname?: string }).hostname)) {
    const where = e.address ? `${e.address}:${e.port ?? ''}` : String((e as { hostname?: string }).hostname ?? "");
    return `cannot connect to ${where} (${e.code}): is the server running, and are DATABASE_URL / AMOCRM_BASE_URL right?`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * The directory a command works in when npm started it as a package script. `npm run demo` at the repository root
 * runs etl's script "bin/amokpi.js demo" with etl/ as the working directory: `.env` and the default data dir
 * (.amokpi) would be read from and written to etl/. npm passes the directory it was started in as INIT_CWD; an
 * amokpi script works there, as `npx amokpi` does. Other scripts (jest, bench) are left alone, so their child
 * processes never pick up a developer's .env.
 */
export function scriptWorkingDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const script = env.npm_lifecycle_script?.trim();
  if (!env.INIT_CWD || !script || !/^(\S*\/)?amokpi(\.js)?(\s|$)/.test(script)) return undefined;
  return env.INIT_CWD;
}

/**
 * Stops the command as SIGTERM would once the process that started it is gone. `npx amokpi run` runs us under
 * npm and `sh -c`: `kill <npx pid>` ends npm and the shell but reaches no further, and the worker (with its
 * embedded Postgres) lingered as an orphan. Only under npm (npm_lifecycle_event set): a plain
 * `nohup node etl/bin/amokpi.js run &` keeps running when its shell exits, as intended.
 */
export function exitWithParent(env: NodeJS.ProcessEnv = process.env, everyMs = 1000): void {
  const parent = process.ppid;
  if (!env.npm_lifecycle_event || parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, everyMs);
  timer.unref();
}

const WRITE_ERRORS: Record<string, string> = { ENOSPC: 'no space left on the device', EIO: 'input/output error', EBADF: 'the output is closed' };

/**
 * An output that fails (`> /dev/full`, a full disk) is one line, not an unhandled 'error' event's stack. A reader
 * that went away (`| head`) is not an error worth a line: the process ends quietly as a SIGPIPE would end it.
 */
function guardOutput(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    const why = err.code ? `${err.code}: ${WRITE_ERRORS[err.code] ?? err.message}` : err.message;
    process.stderr.write(`amokpi: cannot write the output (${why})\n`);
    process.exit(1);
  });
}

export async function main(argv: string[]): Promise<void> {
  guardOutput();
  exitWithParent();
  const dir = scriptWorkingDirectory();
  if (dir && path.resolve(dir) !== process.cwd()) {
    try {
      process.chdir(dir);
    } catch {
      /* stay where npm put us */
    }
  }
  dotenv.config({ quiet: true });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // Commander's usage errors (unknown command or flag, a flag value its parser refuses) exit 2 like a bad
    // setting; help and --version exit 0.
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    if (err instanceof ConfigError) {
      process.stderr.write(`amokpi: ${err.message}\n`);
      process.exit(2);
    }
    const message = describeError(err);
    process.stderr.write(`amokpi: ${scrub(message)}\n`);
    process.exit(process.exitCode && process.exitCode !== 0 ? process.exitCode : 1);
  }
}
