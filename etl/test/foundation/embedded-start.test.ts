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

const users = (dataDir: string): number[] => {
  try {
    return fs.readdirSync(path.join(dataDir, 'pg.users')).map(Number).sort((x, y) => x - y);
  } catch {
    return [];
  }
};

async function query(s: Starter): Promise<string> {
  const before = s.out.length;
  s.child.stdin!.write('query\n');
  await until('an answer to the query', () => /^query .*$/m.test(s.out.slice(before)));
  return /^query .*$/m.exec(s.out.slice(before))![0];
}

/**
 * Two commands started together on a stopped (here: new) data dir: one initialises and starts the server, the
 * other waits for it (the start lock) and joins. Both are users of the one server, and the last one to leave stops
 * it, whichever started it: with a single owner, `serve` started during a first `sync --full` lost its database
 * the moment the sync ended.
 */
describe('embedded Postgres shared by two commands', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-start-'));
  const started: Starter[] = [];
  afterAll(async () => {
    for (const s of started) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    const pid = serverPid(dataDir);
    if (pid && alive(pid)) process.kill(pid, 'SIGINT');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('one server for both; the one that started it leaving keeps it for the other, the last one leaving stops it', async () => {
    const [a, b] = [starter(dataDir), starter(dataDir)];
    started.push(a, b);
    await until('both ready', () => /^ready /m.test(a.out) && /^ready /m.test(b.out));
    const url = (s: Starter) => /^ready (\S+)/m.exec(s.out)![1];
    expect(url(a)).toBe(url(b));
    expect(`${a.err}${b.err}`).toBe('');
    const pid = serverPid(dataDir)!;
    expect(users(dataDir)).toEqual([a.child.pid!, b.child.pid!].sort((x, y) => x - y));
    expect(fs.existsSync(path.join(dataDir, 'pg.starting'))).toBe(false);
    // The starter is the one whose child is the server's parent.
    const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    const [first, second] = ppid === a.child.pid ? [a, b] : [b, a];
    expect(ppid).toBe(first.child.pid);

    first.child.stdin!.end(); // the starter leaves: the other still uses the server
    expect(await first.exited).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(pid)).toBe(true);
    expect(await query(second)).toBe('query ok');
    expect(users(dataDir)).toEqual([second.child.pid!]);

    second.child.stdin!.end(); // the last one out stops it
    expect(await second.exited).toBe(0);
    await until('the server to stop', () => !alive(pid), 30_000);
    expect(serverPid(dataDir)).toBeUndefined();
    expect(users(dataDir)).toEqual([]);
  }, 150_000);

  it('a user killed with -9 is not waited for: the last live one stops the server', async () => {
    const [a, b] = [starter(dataDir), starter(dataDir)];
    started.push(a, b);
    await until('both ready', () => /^ready /m.test(a.out) && /^ready /m.test(b.out));
    const pid = serverPid(dataDir)!;
    a.child.kill('SIGKILL');
    await a.exited;
    expect(await query(b)).toBe('query ok');
    b.child.stdin!.end();
    expect(await b.exited).toBe(0);
    await until('the server to stop', () => !alive(pid), 30_000);
    expect(users(dataDir)).toEqual([]);
  }, 150_000);
});
