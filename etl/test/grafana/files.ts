import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const REPO = path.resolve(__dirname, '../../..');

export function readYaml(rel: string): any {
  return parse(fs.readFileSync(path.join(REPO, rel), 'utf8'));
}

export function readJson(rel: string): any {
  return JSON.parse(fs.readFileSync(path.join(REPO, rel), 'utf8'));
}

export function listFiles(relDir: string, ext: RegExp): string[] {
  return fs
    .readdirSync(path.join(REPO, relDir))
    .filter((f) => ext.test(f))
    .map((f) => path.posix.join(relDir, f));
}

export interface RuleStep {
  refId: string;
  datasourceUid: string;
  model: any;
}

export interface ProvisionedRule {
  group: string;
  uid: string;
  title: string;
  condition: string;
  data: RuleStep[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  dashboardUid?: string;
  panelId?: number;
  noDataState?: string;
  execErrState?: string;
  for?: string;
}

/** Every alert rule of every file in provisioning/alerting. */
export function provisionedRules(): ProvisionedRule[] {
  const rules: ProvisionedRule[] = [];
  for (const f of listFiles('provisioning/alerting', /\.ya?ml$/)) {
    for (const g of readYaml(f).groups ?? []) for (const r of g.rules) rules.push({ ...r, group: g.name });
  }
  return rules;
}

export function rule(uid: string): ProvisionedRule {
  const r = provisionedRules().find((x) => x.uid === uid);
  if (!r) throw new Error(`no provisioned alert rule ${uid}`);
  return r;
}

/**
 * support/db.ts drops with FORCE right after ending the pool; pg-pool counts the pool as ended before
 * the sockets close, so a backend can be terminated under a still-closing idle client. pg-pool's idle
 * listener re-emits that FATAL 57P01 on the pool, where (pg-promise having detached) nobody listens,
 * and the unhandled 'error' fails the whole test file after its tests passed. It is expected here.
 */
export function ignoreTerminationOnDrop(db: { $pool: { on(event: 'error', cb: (err: Error) => void): unknown } }): void {
  db.$pool.on('error', (err: Error & { code?: string }) => {
    if (err.code !== '57P01') throw err;
  });
}
