import type { ColumnSet } from 'pg-promise';
import { pgp } from '../db/pgp';
import type { Statement } from './types';

type ColumnDef = string | { name: string; cast?: string; mod?: ':raw'; init?: (c: { value: unknown }) => unknown };

/** One target table of a stream: its columns, conflict key and any column whose update is a rule, not a copy. */
export interface TableSpec {
  table: { schema: string; table: string };
  columns: ColumnDef[];
  key: string[];
  /** Columns written on insert only (e.g. raw copies that must not flip-flop); default none. */
  insertOnly?: string[];
  /** Extra SET assignments for conflicting rows, e.g. a deletion rule; `t` is the stored row. */
  extraSet?: string;
  /** Extra condition under which a conflicting row counts as changed (pairs with extraSet). */
  extraChanged?: string;
  /** Immutable rows (events): conflicting rows are left alone. */
  immutable?: boolean;
}

export interface Upserter<R> {
  /** The multi-row upsert statement (null for no rows); its row count = rows inserted or actually changed. */
  (rows: R[], counts?: Statement['counts']): Statement | null;
  columns: ColumnSet;
}

/**
 * Builds the multi-row upsert for a table once. Unchanged rows are skipped by an IS DISTINCT FROM
 * guard, so re-reading an overlap (or a second full sync) writes nothing and reports 0 upserted.
 */
export function upserter<R extends object>(spec: TableSpec): Upserter<R> {
  const cs = new pgp.helpers.ColumnSet(spec.columns, { table: new pgp.helpers.TableName(spec.table) });
  const target = cs.table.toString();
  const names = cs.columns.map((c) => c.name);
  const updatable = names.filter((n) => !spec.key.includes(n) && !(spec.insertOnly ?? []).includes(n));
  const q = (n: string) => pgp.as.name(n);
  const conflict = `ON CONFLICT (${spec.key.map(q).join(', ')})`;
  let tail: string;
  if (spec.immutable) {
    tail = `${conflict} DO NOTHING`;
  } else {
    const sets = updatable.map((n) => `${q(n)} = EXCLUDED.${q(n)}`);
    if (spec.extraSet) sets.push(spec.extraSet);
    const stored = updatable.map((n) => `t.${q(n)}`).join(', ');
    const incoming = updatable.map((n) => `EXCLUDED.${q(n)}`).join(', ');
    let changed = `(${stored}) IS DISTINCT FROM (${incoming})`;
    if (spec.extraChanged) changed = `(${changed} OR ${spec.extraChanged})`;
    tail = `${conflict} DO UPDATE SET ${sets.join(', ')} WHERE ${changed}`;
  }
  const head = `INSERT INTO ${target} AS t (${names.map(q).join(', ')}) VALUES `;
  const run = ((rows: R[], counts: Statement['counts'] = 'upserted') =>
    rows.length === 0 ? null : { sql: head + pgp.helpers.values(rows, cs) + ' ' + tail, counts }) as Upserter<R>;
  run.columns = cs;
  return run;
}

/**
 * A timestamptz column fed with the API's Unix seconds: formatted as to_timestamp(n) rather than through a
 * Date object (the formatting of every row is a measurable share of the upsert cost).
 */
export function tsColumn(name: string): ColumnDef {
  return {
    name,
    mod: ':raw',
    init: (c) => {
      if (c.value == null) return 'NULL';
      const n = Number(c.value);
      if (!Number.isFinite(n)) throw new TypeError(`${name}: not a Unix timestamp: ${String(c.value)}`);
      return `to_timestamp(${n})`;
    },
  };
}

/** Unix seconds or null, for tsColumn columns. */
export function ts(sec: number | null | undefined): number | null {
  return sec == null ? null : sec;
}

/** The API's raw item without its HAL links (they only repeat the id and the host). */
export function rawOf(item: object): object {
  const { _links, ...rest } = item as { _links?: unknown };
  void _links;
  return rest;
}
