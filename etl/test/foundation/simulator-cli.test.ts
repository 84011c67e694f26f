import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { cli } from '../support/cli';

const BIN = path.resolve(__dirname, '../../bin/amokpi.js');

describe('amokpi simulator: flags and what it prints (real processes)', () => {
  it('a port out of range or in use is one line naming --port', async () => {
    const range = await cli(['simulator', '--port', '99999'], {});
    expect({ code: range.code, stderr: range.stderr }).toEqual({ code: 2, stderr: 'amokpi: --port: must be a TCP port 0-65535, got 99999\n' });
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const { port } = busy.address() as net.AddressInfo;
    try {
      const taken = await cli(['simulator', '--port', String(port), '--leads', '5', '--managers', '1'], {});
      expect({ code: taken.code, stderr: taken.stderr }).toEqual({ code: 2, stderr: `amokpi: --port: 127.0.0.1:${port} is already in use; set --port to a free port\n` });
    } finally {
      busy.close();
    }
  });

  it.each([
    [[], /^tokens: 1 long-lived token accepted: sim-token \(the default; --token sets your own\)$/m],
    [['--token', 'my-own-secret-token'], /^tokens: 1 long-lived token\(s\) accepted$/m],
  ])('prints the token it accepts only when it is the default (%j)', async (extra, re) => {
    const child = spawn(process.execPath, [BIN, 'simulator', '--port', '0', '--leads', '5', '--managers', '1', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise<void>((resolve) => child.stdout!.on('data', (d) => ((out += d), /tokens:[^\n]*\n/.test(out) && resolve())));
    child.kill('SIGTERM');
    await exited;
    expect(out).toMatch(re);
    expect(out).not.toContain('my-own-secret-token');
  });
});
