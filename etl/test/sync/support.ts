import { createHash } from 'node:crypto';
import { createAmoClient, type AmoClient } from '../../src/amocrm/client';
import { longLivedAuth } from '../../src/amocrm/auth';
import { loadConfig, type Config } from '../../src/config';
import type { Db } from '../../src/db/pgp';
import { createLogger, setLogger } from '../../src/log';
import { startSimulator, type SimDataset, type Simulator, type SimulatorOptions } from '../../src/simulator';

export const TOKEN = 'sim-token-for-sync-tests';

export function startSim(opts: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ port: 0, seed: 11, token: TOKEN, size: { managers: 5, leads: 600, months: 4 }, rps: 0, ...opts });
}

export function clientFor(sim: Simulator, rps = 0): AmoClient {
  return createAmoClient({ baseUrl: sim.url, auth: longLivedAuth(TOKEN), rps });
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', ...env });
}

type Row = unknown[];
export type Tables = Record<string, Row[]>;

/* eslint-disable @typescript-eslint/no-explicit-any */
const wantedEvents = new Set(['lead_status_changed', 'incoming_chat_message', 'outgoing_chat_message', 'lead_deleted', 'lead_restored', 'task_deleted']);
/** JSON with keys sorted at every level (jsonb reorders keys). */
export function canon(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sort) : x && typeof x === 'object' ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as any)[k])])) : x;
  return JSON.stringify(sort(v === undefined ? null : v));
}
const n = (v: unknown) => (v === undefined ? null : v);
const dur = (p: any) => {
  const d = Number(p?.duration);
  return Number.isFinite(d) && d > 0 ? Math.round(d) : 0;
};
const uniq = (p: any) => (p?.uniq === undefined || p?.uniq === null || p?.uniq === '' ? null : String(p.uniq));

/** The simulator's dataset as the rows the tables must hold (read straight from the API shapes, not via the sync code). */
export function expectedTables(ds: SimDataset): Tables {
  const a = ds.account as any;
  const sortRows = (rows: Row[]) => rows.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  const lead = (l: any) => [l.id, n(l.name), l.price ?? 0, n(l.responsible_user_id), n(l.pipeline_id), n(l.status_id), n(l.created_by), n(l.created_at), l.updated_at, n(l.closed_at)];
  const notes = (type: string, list: any[]) =>
    list.filter((x) => x.note_type === 'call_in' || x.note_type === 'call_out')
      .map((x) => [type, x.id, n(x.entity_id), x.note_type, n(x.responsible_user_id), n(x.created_by), x.created_at, x.updated_at, dur(x.params), uniq(x.params)]);
  return {
    account: [[a.id, a.name, a.currency, a._embedded.datetime_settings.timezone]],
    users: sortRows(ds.users.map((u: any) => [u.id, u.name, n(u.email), u.rights.is_active])),
    pipelines: sortRows(ds.pipelines.map((p: any) => [p.id, p.name, p.sort, p.is_main, p.is_archive])),
    statuses: sortRows(ds.pipelines.flatMap((p: any) => p._embedded.statuses.map((s: any) => [p.id, s.id, s.name, s.sort, s.type]))),
    leads: sortRows(ds.leads.map(lead)),
    deleted_leads: sortRows(ds.deletedLeads.map((l: any) => [l.id])),
    tasks: sortRows(ds.tasks.map((t: any) => [t.id, n(t.responsible_user_id), n(t.entity_id), n(t.entity_type), n(t.task_type_id), n(t.text), t.is_completed, n(t.complete_till), n(t.created_at), t.updated_at])),
    events: sortRows(ds.events.filter((e: any) => wantedEvents.has(e.type)).map((e: any) => [e.id, e.type, n(e.entity_id), n(e.entity_type), n(e.created_by), e.created_at, canon(e.value_before), canon(e.value_after)])),
    notes: sortRows([...notes('leads', ds.leadNotes as any[]), ...notes('contacts', ds.contactNotes as any[])]),
  };
}

const epoch = (c: string) => `extract(epoch FROM ${c})::bigint AS ${c}_s`;

/** The same projection read from Postgres. `deleted_leads` = ids of leads in the trash (deleted_at set). */
export async function actualTables(db: Db): Promise<Tables> {
  const rows = async (sql: string) => {
    const r: Row[] = await db.map(sql, [], (x: Record<string, unknown>) => Object.values(x));
    return r.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  };
  return {
    account: await rows('SELECT id, name, currency, timezone FROM amo.account'),
    users: await rows('SELECT id, name, email, is_active FROM amo.users'),
    pipelines: await rows('SELECT id, name, sort, is_main, is_archive FROM amo.pipelines'),
    statuses: await rows('SELECT pipeline_id, id, name, sort, type FROM amo.statuses'),
    leads: await rows(`SELECT id, name, price, responsible_user_id, pipeline_id, status_id, created_by, ${epoch('created_at')}, ${epoch('updated_at')}, ${epoch('closed_at')} FROM amo.leads WHERE deleted_at IS NULL`),
    deleted_leads: await rows('SELECT id FROM amo.leads WHERE deleted_at IS NOT NULL'),
    tasks: await rows(`SELECT id, responsible_user_id, entity_id, entity_type, task_type_id, text, is_completed, ${epoch('complete_till')}, ${epoch('created_at')}, ${epoch('updated_at')} FROM amo.tasks`),
    events: (await rows(`SELECT id, type, entity_id, entity_type, created_by, ${epoch('created_at')}, value_before, value_after FROM amo.events`)).map((r) => [...r.slice(0, 6), canon(r[6]), canon(r[7])]).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    notes: await rows(`SELECT entity_type, id, entity_id, note_type, responsible_user_id, created_by, ${epoch('created_at')}, ${epoch('updated_at')}, duration_seconds, uniq FROM amo.notes`),
  };
}

/** Count and a content checksum per table. jsonb text is normalised by re-parsing so key order does not matter. */
export function checksums(t: Tables): Record<string, { count: number; sha: string }> {
  const norm = (v: unknown) => (typeof v === 'string' && /^[[{]/.test(v) ? JSON.stringify(JSON.parse(v)) : v);
  const out: Record<string, { count: number; sha: string }> = {};
  for (const [k, rows] of Object.entries(t)) {
    const h = createHash('sha256');
    for (const r of rows) h.update(JSON.stringify(r.map(norm)) + '\n');
    out[k] = { count: rows.length, sha: h.digest('hex').slice(0, 16) };
  }
  return out;
}

/** Every stored table with every column (synced_at aside): two syncs converged iff these are equal. */
export async function fullDump(db: Db): Promise<string> {
  const tables = ['account', 'users', 'pipelines', 'statuses', 'leads', 'tasks', 'events', 'notes'];
  const h = createHash('sha256');
  for (const t of tables) {
    const rows = await db.map(`SELECT to_jsonb(x) - 'synced_at' AS j FROM amo.${t} x`, [], (r: { j: unknown }) => JSON.stringify(r.j));
    rows.sort();
    h.update(`${t}:${rows.length}\n${rows.join('\n')}\n`);
  }
  return h.digest('hex');
}

/**
 * pg-pool resolves end() before its sockets have closed, so DROP DATABASE ... WITH FORCE can reach a client
 * that is still closing; that FATAL is expected at teardown and must not fail the run.
 */
export async function dropQuietly(t: { db: Db; drop(): Promise<void> }): Promise<void> {
  (t.db.$pool as unknown as NodeJS.EventEmitter).on('error', () => undefined);
  await t.drop();
}

// The engine logs failures through the process-wide logger; keep test output readable.
setLogger(createLogger({ level: 'silent' }));
