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
});
