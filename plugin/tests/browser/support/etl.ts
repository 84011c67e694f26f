import { ChildProcess, execFileSync, spawn } from 'child_process';
import path from 'path';

import { Cluster, startCluster } from '../../../../etl/test/support/cluster';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const CLI = path.join(REPO, 'etl', 'bin', 'amokpi.js');

export interface Etl {
  url: string;
  apiToken: string;
  adminToken: string;
  stop(): Promise<void>;
}

export const FROZEN_NOW = '2026-03-15T12:00:00+03:00';

/** How the account gets into Postgres: hand-built SQL (figures checkable on paper) or the real ETL path. */
export type Seed = 'sql' | 'simulator';

/**
 * A real `amokpi serve` on a throwaway Postgres cluster, migrated by `amokpi migrate`, its clock frozen by
 * AMOKPI_NOW. Seed 'sql': support/seed.sql into the amo schema + `amokpi plans set`. Seed 'simulator':
 * `amokpi simulator` (deterministic agency ending at the same instant) + `amokpi sync --full` + a plan.
 */
export async function startEtl(seed: Seed = 'sql'): Promise<Etl> {
  const cluster: Cluster = await startCluster();
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    for (const child of children.reverse()) {
      await stopChild(child);
    }
    await cluster.stop();
  };
  try {
    execFileSync('psql', [cluster.adminUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', 'CREATE DATABASE amokpi_plugin'], { stdio: 'pipe' });
    const apiToken = 'plugin-read-token-7f3a';
    const adminToken = 'plugin-admin-token-9c1d';
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: cluster.urlFor('amokpi_plugin'),
      AMOKPI_API_TOKEN: apiToken,
      AMOKPI_ADMIN_TOKEN: adminToken,
      AMOKPI_NOW: FROZEN_NOW,
      AMOKPI_PORT: '0',
      AMOCRM_BASE_URL: 'https://agency.amocrm.ru',
      LOG_LEVEL: 'warn',
    };
    const cli = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { env, cwd: REPO, stdio: 'pipe' }).toString();
    cli('migrate');
    if (seed === 'sql') {
      execFileSync('psql', [env.DATABASE_URL!, '-v', 'ON_ERROR_STOP=1', '-q', '-f', path.join(__dirname, 'seed.sql')], { stdio: 'pipe' });
      cli('plans', 'set', '2026-03', '101', '1000000');
    } else {
      const sim = spawnCli(['simulator', '--seed', '5', '--managers', '4', '--pipelines', '2', '--leads', '400', '--months', '3',
        '--rps', '0', '--timezone', 'Europe/Moscow', '--now', FROZEN_NOW, '--token', 'sim-token-plugin'], env);
      children.push(sim.child);
      const simUrl = await sim.waitFor(/listening on (http:\/\/\S+)/);
      const syncEnv = { ...env, AMOCRM_BASE_URL: simUrl, AMOCRM_ACCESS_TOKEN: 'sim-token-plugin', AMOCRM_RPS: '7' };
      execFileSync(process.execPath, [CLI, 'sync', '--full'], { env: syncEnv, cwd: REPO, stdio: 'pipe' });
      env.AMOCRM_BASE_URL = simUrl;
      await stopChild(children.pop()!);
    }
    const serve = spawnCli(['serve'], env);
    children.push(serve.child);
    const url = await serve.waitFor(/amokpi API on (http:\/\/\S+)/);
    return { url, apiToken, adminToken, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Runs an amokpi command in the background; waitFor resolves with the first capture of a stdout line. */
function spawnCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (c) => (stderr += c));
  child.stdout!.on('data', (c) => (stdout += c));
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`amokpi ${args[0]} printed nothing matching ${pattern} in 30 s: ${stderr}`)), 30000);
      const check = () => {
        const m = pattern.exec(stdout);
        if (m) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', check);
      check();
      child.once('exit', (code) => reject(new Error(`amokpi ${args[0]} exited with ${code}: ${stderr}`)));
    });
  return { child, waitFor };
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
