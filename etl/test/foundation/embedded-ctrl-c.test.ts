import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { pgp } from '../../src/db/pgp';
import type { Simulator } from '../../src/simulator';
import { startSim, TOKEN } from '../sync/support';

const BIN = path.resolve(__dirname, '../../bin/amokpi.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The embedded server's pid and port from its postmaster.pid once it says "ready". */
function readyServer(dataDir: string): { pid: number; port: number } | undefined {
  try {
    const lines = fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n');
    return lines[7]?.trim() === 'ready' ? { pid: Number(lines[0]), port: Number(lines[3]) } : undefined;
  } catch {
    return undefined;
  }
}

function collect(child: ChildProcess): { out: string; err: string; exited: Promise<number | null> } {
  const r = { out: '', err: '', exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (d) => (r.out += d));
  child.stderr!.on('data', (d) => (r.err += d));
  return r;
}

describe('Ctrl-C on a command that runs the embedded Postgres', () => {
  let sim: Simulator;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-ctrlc-'));
  const children: ChildProcess[] = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    sim = await startSim({ size: { managers: 3, leads: 300, months: 2 } });
    env = { ...process.env, AMOKPI_DATA_DIR: dataDir, AMOCRM_BASE_URL: sim.url, AMOCRM_ACCESS_TOKEN: TOKEN, AMOCRM_RPS: '7', LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    const left = readyServer(dataDir);
    if (left && alive(left.pid)) process.kill(left.pid, 'SIGKILL');
    await sim.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a SIGINT to the whole process group (what a terminal sends) stops the sync after its last page, and the server after it', async () => {
    sim.setFaults({ latencyMs: 40 });
    // detached: the child leads its own process group, as a command in a terminal's foreground group does.
    const child = spawn(process.execPath, [BIN, 'sync', '--full'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const io = collect(child);
    const server = await until('the embedded server', () => readyServer(dataDir), 60_000);
    const db = pgp({ connectionString: `postgres://amokpi:amokpi@127.0.0.1:${server.port}/amokpi`, max: 1 });
    try {
      await until('a running events stream', async () => {
        const r = await db.oneOrNone<{ n: number }>(
          "SELECT count(*)::int AS n FROM app.sync_runs WHERE stream = 'events' AND finished_at IS NULL",
        ).catch(() => null);
        return r && r.n > 0 ? true : undefined;
      });
    } finally {
      await db.$pool.end();
    }
    process.kill(-child.pid!, 'SIGINT');
    const code = await io.exited;
    sim.setFaults({});
    expect(io.err).toMatch(/aborted: stopped after the last committed page/);
    expect(io.err).not.toMatch(/shutting down|could not record sync run|terminating connection/);
    expect(code).toBe(1); // a stream did not finish: the sync says so
    // The command stopped the server it started: no orphan left behind.
    await until('the embedded server to stop', () => !alive(server.pid) || undefined, 10_000);

    // Every run is recorded as finished: /api/v1/status shows no stream running forever.
    const serve = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...env, AMOKPI_PORT: '0', AMOKPI_API_TOKEN: 'api-token-123', AMOKPI_ADMIN_TOKEN: 'admin-token-123' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(serve);
    const sio = collect(serve);
    const url = await until('serve to listen', () => /API on (http\S+)/.exec(sio.out)?.[1], 60_000);
    const status = await (await fetch(`${url}/api/v1/status`, { headers: { authorization: 'Bearer api-token-123' } })).json();
    serve.kill('SIGTERM');
    expect(await sio.exited).toBe(0);
    const streams = status.streams as { stream: string; finishedAt: string | null; error: string | null }[];
    expect(streams.length).toBeGreaterThan(0);
    expect(streams.filter((s) => s.finishedAt === null)).toEqual([]);
    expect(streams.find((s) => s.stream === 'events')?.error).toMatch(/^aborted/);
  }, 120_000);

  it('a process that crashes stops its server; one killed with -9 leaves it to the next command, which adopts and stops it', async () => {
    // An unhandled error after the start: the exit hook stops the server.
    const crash = spawn(
      process.execPath,
      ['-e', `require('tsx/cjs/api').register(); require(${JSON.stringify(path.resolve(__dirname, '../../src/db/embedded.ts'))})
        .startEmbeddedPostgres(${JSON.stringify(dataDir)}).then(() => { throw new Error('boom'); });`],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(crash);
    const cio = collect(crash);
    expect(await cio.exited).toBe(1);
    expect(cio.err).toMatch(/boom/);
    const crashed = readyServer(dataDir);
    if (crashed) await until('the crashed owner\'s server to stop', () => !alive(crashed.pid) || undefined, 10_000);

    // kill -9 of the owner: nothing can run in it, the server stays up...
    const serve = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...env, AMOKPI_PORT: '0', AMOKPI_API_TOKEN: 'api-token-123', AMOKPI_ADMIN_TOKEN: 'admin-token-123' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(serve);
    const sio = collect(serve);
    await until('serve to listen', () => /API on (http\S+)/.exec(sio.out)?.[1], 60_000);
    const server = readyServer(dataDir)!;
    serve.kill('SIGKILL');
    await sio.exited;
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(server.pid)).toBe(true);
    // ...until the next command on the data dir adopts it and stops it when it ends.
    const migrate = spawn(process.execPath, [BIN, 'migrate'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(migrate);
    const mio = collect(migrate);
    expect(await mio.exited).toBe(0);
    await until('the orphaned server to stop', () => !alive(server.pid) || undefined, 10_000);
  }, 120_000);
});
