import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startCluster } from './cluster';
import { ADMIN_URL_ENV, TEMPLATE_DB } from './paths';

/**
 * Starts one throwaway cluster for the whole jest run and migrates a template database through the
 * real CLI (`amokpi migrate`); each test file then clones it (CREATE DATABASE ... TEMPLATE).
 */
export default async function globalSetup(): Promise<void> {
  const cluster = await startCluster();
  (globalThis as { __amokpiCluster?: unknown }).__amokpiCluster = cluster;
  execFileSync('psql', [cluster.adminUrl, '-qc', `CREATE DATABASE ${TEMPLATE_DB}`], { stdio: 'pipe' });
  const cli = path.resolve(__dirname, '../../bin/amokpi.js');
  execFileSync(process.execPath, [cli, 'migrate'], {
    env: { ...process.env, DATABASE_URL: cluster.urlFor(TEMPLATE_DB), LOG_LEVEL: 'warn' },
    stdio: 'pipe',
  });
  process.env[ADMIN_URL_ENV] = cluster.adminUrl;
}
