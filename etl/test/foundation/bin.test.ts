import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { nodeFlagsOf } from '../support/node-flags';

const BIN = path.resolve(__dirname, '../../bin/amokpi.js');

describe('the amokpi executable', () => {
  it('runs through its own shebang with the heap ceiling (what npx, npm run demo and the Docker image execute)', async () => {
    expect(nodeFlagsOf(BIN)).toEqual(['--max-old-space-size=256']);
    // Executed as a program, not as `node bin/amokpi.js`: `env -S` must pass the flag on to node.
    const child = spawn(BIN, ['simulator', '--port', '0', '--leads', '20', '--managers', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (/listening on http/.test(out)) resolve();
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    const argv = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain('--max-old-space-size=256');
    expect(argv).toContain(BIN);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('started by npx, stops when npx is killed (npx and its sh -c do not pass SIGTERM on)', async () => {
    const root = path.resolve(__dirname, '../../..');
    const npx = spawn('npx', ['amokpi', 'simulator', '--port', '0', '--leads', '20', '--managers', '2'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npx.stdout!.on('data', (d) => (out += d));
    const npxExited = new Promise((resolve) => npx.on('exit', resolve));
    const deadline = Date.now() + 30_000;
    while (!/listening on http/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(/listening on http/);
    const node = descendants(npx.pid!).find((pid) => /amokpi\0simulator/.test(cmdline(pid)));
    expect(node).toBeDefined();
    try {
      npx.kill('SIGTERM');
      await npxExited;
      const end = Date.now() + 5000;
      while (alive(node!) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(alive(node!)).toBe(false);
      // It stopped as on SIGTERM, not by a kill: the simulator's clean-up ran.
      expect(out).toMatch(/simulator stopped after/);
    } finally {
      if (alive(node!)) process.kill(node!, 'SIGKILL');
    }
  });
});

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    // A zombie is gone for our purposes.
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every process below pid (from /proc/<pid>/stat's ppid field). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parents.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [pid, ppid] of parents) if (ppid === p) (out.push(pid), walk(pid));
  };
  walk(root);
  return out;
}
