import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

const ETL = path.resolve(__dirname, '../..');

interface Starter {
  child: ChildProcess;
  out: string;
  err: string;
  exited: Promise<number | null>;
}

function starter(dataDir: string): Starter {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'embedded-start.child.ts'), dataDir], { cwd: ETL, stdio: ['pipe', 'pipe', 'pipe'] });
  const s: Starter = { child, out: '', err: '', exited: new Promise((resolve) => child.once('exit', resolve)) };
  child.stdout!.on('data', (d) => (s.out += d));
  child.stderr!.on('data', (d) => (s.err += d));
  return s;
}

async function until(what: string, ok: () => boolean, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const serverPid = (dataDir: string): number | undefined => {
  try {
    return Number(fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Two commands started together on a stopped (here: new) data dir: one initialises and starts the server, the
 * other waits for it and joins. Before the start lock both started one, and the loser's clean-up removed the
 * winner's owner file, so a later command adopted the winner's server and stopped it under its owner.
 */
describe('embedded Postgres started by two commands at once', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-start-'));
  const started: Starter[] = [];
  afterAll(async () => {
    for (const s of started) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    const pid = serverPid(dataDir);
    if (pid && alive(pid)) process.kill(pid, 'SIGINT');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('one server, one owner: the joiner leaving keeps it, the owner leaving stops it', async () => {
    const [a, b] = [starter(dataDir), starter(dataDir)];
    started.push(a, b);
    await until('both ready', () => /^ready /m.test(a.out) && /^ready /m.test(b.out));
    const url = (s: Starter) => /^ready (\S+)/m.exec(s.out)![1];
    expect(url(a)).toBe(url(b));
    expect(`${a.err}${b.err}`).toBe('');
    const pid = serverPid(dataDir)!;
    const owner = Number(fs.readFileSync(path.join(dataDir, 'pg.owner'), 'utf8'));
    const [first, second] = owner === a.child.pid ? [a, b] : [b, a];
    expect(owner).toBe(first.child.pid);
    expect(fs.existsSync(path.join(dataDir, 'pg.starting'))).toBe(false);

    second.child.stdin!.end(); // the joiner stops: the owner's server stays
    expect(await second.exited).toBe(0);
    expect(alive(pid)).toBe(true);
    expect(Number(fs.readFileSync(path.join(dataDir, 'pg.owner'), 'utf8'))).toBe(owner);

    first.child.stdin!.end();
    expect(await first.exited).toBe(0);
    await until('the server to stop', () => !alive(pid), 30_000);
    expect(serverPid(dataDir)).toBeUndefined();
  }, 150_000);
});
