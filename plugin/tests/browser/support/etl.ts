import { ChildProcess, execFileSync, spawn } from 'child_process';
import path from 'path';

import { Cluster, startCluster } from '../../../../etl/test/support/cluster';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const CLI = path.join(REPO, 'etl', 'bin', 'amokpi.js');

export interface Etl {
  url: string;
  apiToken: string;
  stop(): Promise<void>;
}

/**
 * A real `amokpi serve` on a throwaway Postgres cluster: migrated by `amokpi migrate`, seeded by SQL
 * into the amo schema (support/seed.sql) and `amokpi plans set`, clock frozen by AMOKPI_NOW.
 */
export async function startEtl(): Promise<Etl> {
  const cluster: Cluster = await startCluster();
  let server: ChildProcess | undefined;
  try {
    execFileSync('psql', [cluster.adminUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', 'CREATE DATABASE amokpi_plugin'], { stdio: 'pipe' });
    const apiToken = 'plugin-read-token-7f3a';
    const env = {
      ...process.env,
      DATABASE_URL: cluster.urlFor('amokpi_plugin'),
      AMOKPI_API_TOKEN: apiToken,
      AMOKPI_ADMIN_TOKEN: 'plugin-admin-token-9c1d',
      AMOKPI_NOW: '2026-03-15T12:00:00+03:00',
      AMOKPI_PORT: '0',
      AMOCRM_BASE_URL: 'https://agency.amocrm.ru',
      LOG_LEVEL: 'warn',
    };
    const cli = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { env, cwd: REPO, stdio: 'pipe' }).toString();
    cli('migrate');
    execFileSync('psql', [env.DATABASE_URL, '-v', 'ON_ERROR_STOP=1', '-q', '-f', path.join(__dirname, 'seed.sql')], { stdio: 'pipe' });
    cli('plans', 'set', '2026-03', '101', '1000000');

    const child = spawn(process.execPath, [CLI, 'serve'], { env, cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`amokpi serve did not start in 30 s: ${stderr}`)), 30000);
      child.stdout!.on('data', (c) => {
        out += c;
        const m = /amokpi API on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`amokpi serve exited with ${code}: ${stderr}`)));
    });
    return {
      url,
      apiToken,
      async stop() {
        await stopChild(child);
        await cluster.stop();
      },
    };
  } catch (err) {
    if (server) {
      await stopChild(server);
    }
    await cluster.stop();
    throw err;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
