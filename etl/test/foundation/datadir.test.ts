import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { cli, expectOneLine } from '../support/cli';

const BIN = path.resolve(__dirname, '../../bin/amokpi.js');

/** AMOKPI_DATA_DIR that cannot hold the embedded Postgres: one line at once (exit 2), not a hang or a raw EACCES. */
describe('an unusable AMOKPI_DATA_DIR (real processes)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-datadir-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each(['migrate', 'snapshot'])('%s with a directory that cannot be created (/proc/nope) fails at once', async (command) => {
    const t0 = Date.now();
    const r = await cli([command], { AMOKPI_DATA_DIR: '/proc/nope' }, 15_000);
    expectOneLine(r, 'AMOKPI_DATA_DIR', /cannot create \/proc\/nope \(ENOENT/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a file where the directory should be', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    expectOneLine(await cli(['migrate'], { AMOKPI_DATA_DIR: file }), 'AMOKPI_DATA_DIR', /a-file is a file, not a directory/);
    expectOneLine(await cli(['migrate'], { AMOKPI_DATA_DIR: path.join(file, 'data') }), 'AMOKPI_DATA_DIR', /a-file\/data \(ENOTDIR: a part of the path is a file\)/);
  });

  const asNobody = process.getuid?.() === 0 ? it : it.skip;
  asNobody('a directory this user may not write to (run as "nobody")', async () => {
    fs.chmodSync(tmp, 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, AMOKPI_DATA_DIR: path.join(tmp, 'data'), LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile('runuser', ['-u', 'nobody', '--', process.execPath, BIN, 'migrate'], { env, timeout: 30_000 }, (err, _o, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }),
      ),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^amokpi: AMOKPI_DATA_DIR: cannot create \S+\/data \(EACCES: permission denied\); set AMOKPI_DATA_DIR to a directory this user can write to\n$/);
  });
});
