import fs from 'node:fs';
import path from 'node:path';
import { DASHBOARDS } from '../board';
import type { Json } from './panels';
import { salesToday } from './salesToday';
import { department } from './department';
import { history } from './history';
import { etlHealth } from './etlHealth';

export { pluginDisplayNamesUsed } from './panels';

const BUILDERS: Record<string, () => Json> = {
  'amokpi-today': salesToday,
  'amokpi-department': department,
  'amokpi-history': history,
  'amokpi-etl': etlHealth,
};

/** Every provisioned dashboard by its file name under dashboards/. */
export function buildDashboards(): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const d of DASHBOARDS) {
    const build = BUILDERS[d.uid];
    if (!build) throw new Error(`no builder for dashboard ${d.uid}`);
    const json = build();
    if (json.uid !== d.uid) throw new Error(`builder for ${d.uid} produced uid ${String(json.uid)}`);
    out.set(d.file, json);
  }
  return out;
}

export const serialize = (json: Json): string => `${JSON.stringify(json, null, 2)}\n`;

/** Writes (write) or compares (check) dashboards/*.json; returns the files that differ or were written. */
export function syncDashboardFiles(dir: string, mode: 'write' | 'check'): string[] {
  const changed: string[] = [];
  for (const [file, json] of buildDashboards()) {
    const target = path.join(dir, file);
    const text = serialize(json);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === text) continue;
    changed.push(file);
    if (mode === 'write') fs.writeFileSync(target, text);
  }
  return changed;
}
