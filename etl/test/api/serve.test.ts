import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { useSeededAccount } from '../kpi/http';
import { API_TOKEN, ADMIN_TOKEN, NOW } from '../kpi/fixture';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../bin/amokpi.js');

describe('npx amokpi serve', () => {
  const { t } = useSeededAccount();

  it('refuses to start without both tokens, naming the variable', async () => {
    const env = { ...process.env, DATABASE_URL: t.url, LOG_LEVEL: 'silent', AMOKPI_API_TOKEN: API_TOKEN, AMOKPI_ADMIN_TOKEN: '' };
    const err = await run(process.execPath, [cli, 'serve'], { env }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^amokpi: AMOKPI_ADMIN_TOKEN: required/)]);
  });

  it('serves the API on the configured port and stops cleanly on SIGTERM', async () => {
    const env = {
      ...process.env, DATABASE_URL: t.url, LOG_LEVEL: 'silent', AMOKPI_API_TOKEN: API_TOKEN, AMOKPI_ADMIN_TOKEN: ADMIN_TOKEN,
      AMOKPI_PORT: '0', AMOKPI_NOW: NOW,
    };
    const child = spawn(process.execPath, [cli, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (b) => {
          out += String(b);
          const m = /amokpi API on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const health = await fetch(`${url}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });
      const board = await fetch(`${url}/api/v1/kpi/managers`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
      expect(((await board.json()) as { rows: unknown[] }).rows).toHaveLength(4);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
