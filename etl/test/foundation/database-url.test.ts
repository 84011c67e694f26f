import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/net';
import { ADMIN_URL_ENV } from '../support/paths';
import { cli, expectOneLine } from '../support/cli';

const BIN = path.resolve(__dirname, '../../bin/amokpi.js');
const SECRET = 'n0t-the-Pa55word';

/**
 * The first connection to DATABASE_URL names the setting and the reason in one line (exit 2), never the password.
 * Real servers: the embedded Postgres (password auth) of a `serve` started for the test, the run's test cluster
 * (trust auth: a missing role is named), a port nobody listens on and a server that hangs up at once.
 */
describe('DATABASE_URL connection failures (real processes, real Postgres)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-dburl-'));
  let serve: ChildProcess;
  let embeddedPort: number;
  let hangUp: net.Server;

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AMOKPI_DATA_DIR: dataDir, AMOKPI_PORT: '0', AMOKPI_API_TOKEN: 'api-token-123', AMOKPI_ADMIN_TOKEN: 'admin-token-123', LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    serve = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      serve.stdout!.on('data', (d) => {
        out += d;
        if (/API on http/.test(out)) resolve();
      });
      serve.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    embeddedPort = Number(fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3]);
    hangUp = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => hangUp.listen(0, '127.0.0.1', r));
  }, 90_000);
  afterAll(async () => {
    hangUp?.close();
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await new Promise((r) => serve.once('exit', r));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const check = async (url: string, re: RegExp) => {
    const r = await cli(['migrate'], { DATABASE_URL: url }, 30_000);
    expectOneLine(r, 'DATABASE_URL', re);
    expect(r.stderr).not.toContain(SECRET);
    return r;
  };

  it('a wrong password', async () => {
    await check(`postgres://amokpi:${SECRET}@127.0.0.1:${embeddedPort}/amokpi`, /password authentication failed for user "amokpi" at 127\.0\.0\.1:\d+ \(check the user name and the password in DATABASE_URL: an unknown user gets this answer too\)/);
  });

  it('a role that does not exist', async () => {
    const admin = new URL(process.env[ADMIN_URL_ENV]!);
    await check(`postgres://nosuchrole:${SECRET}@${admin.host}/postgres`, /role "nosuchrole" does not exist/);
  });

  it('a port nobody listens on', async () => {
    await check(`postgres://amokpi:${SECRET}@127.0.0.1:${await freePort()}/amokpi`, /nothing accepts connections at 127\.0\.0\.1:\d+ \(is Postgres running there/);
  });

  it('a server that hangs up before Postgres answers', async () => {
    const { port } = hangUp.address() as net.AddressInfo;
    await check(`postgres://amokpi:${SECRET}@127.0.0.1:${port}/amokpi`, /127\.0\.0\.1:\d+ closed the connection before Postgres answered/);
  });

  it('a host name that does not resolve', async () => {
    await check(`postgres://amokpi:${SECRET}@no-such-host.invalid:5432/amokpi`, /host "no-such-host\.invalid" not found/);
  });
});
