import fs from 'node:fs';
import path from 'node:path';
import type { ITask } from 'pg-promise';
import type { Db } from '../../src/db';
import { MIGRATIONS_DIR } from '../../src/db/migrate';
import { ANNA, BORIS, CARL, DINA } from './fixture';
import { useSeededAccount } from './http';

/**
 * The statement-level triggers keep kpi.lead_status_last and the per-day activity cells equal to what a
 * rebuild from amo.events / amo.notes gives, under multi-row statements as the sync writes them.
 */
describe('kpi tables kept by statement-level triggers', () => {
  const { t } = useSeededAccount();

  const summary = () => t.db.any('SELECT lead_id, last_at, last_id, pipeline_id, status_id, won_at FROM kpi.lead_status_last ORDER BY lead_id');
  const rebuilt = async () => {
    await t.db.one('SELECT kpi.rebuild_lead_status_last()');
    return summary();
  };
  const status = (id: string, lead: number, at: string, to: number) =>
    `('${id}', 'lead_status_changed', ${lead}, 'lead', '${at}', '[{"lead_status":{"id":1002,"pipeline_id":10}}]', '[{"lead_status":{"id":${to},"pipeline_id":10}}]')`;
  const upsertEvents = (rows: string[]) =>
    t.db.none(`INSERT INTO amo.events (id, type, entity_id, entity_type, created_at, value_before, value_after) VALUES ${rows.join(', ')}
               ON CONFLICT (id) DO UPDATE SET entity_id = EXCLUDED.entity_id, created_at = EXCLUDED.created_at, value_after = EXCLUDED.value_after`);

  /** `read` on one connection with `migration`'s down block applied, in a transaction that is rolled back. */
  const beforeMigration = <T>(migration: string, read: (c: ITask<unknown>) => Promise<T>): Promise<T> => {
    const down = fs.readFileSync(path.join(MIGRATIONS_DIR, migration), 'utf8').split('-- Down Migration')[1]!;
    return t.db.task(async (c) => {
      await c.none('BEGIN');
      try {
        await c.none(down);
        return await read(c);
      } finally {
        await c.none('ROLLBACK');
      }
    });
  };

  it('the status summary equals a rebuild after multi-row inserts, upserts, updates and deletes', async () => {
    // One statement with several events of one lead, out of order, and a win that is not the last event.
    await upsertEvents([
      status('b1', 901, '2026-11-10T10:00:00Z', 1003),
      status('b3', 901, '2026-11-12T10:00:00Z', 143),
      status('b2', 901, '2026-11-11T10:00:00Z', 142),
      status('b4', 902, '2026-11-11T10:00:00Z', 142),
      status('b5', 902, '2026-11-11T10:00:00Z', 1003), // same instant: the greater id is the last
    ]);
    let s = await summary();
    expect(s.find((r) => r.lead_id === 901)).toMatchObject({ last_id: 'b3', status_id: 143, won_at: new Date('2026-11-11T10:00:00Z') });
    expect(s.find((r) => r.lead_id === 902)).toMatchObject({ last_id: 'b5', status_id: 1003 });
    expect(await rebuilt()).toEqual(s);
    // An older batch arriving late (and a rewrite of b1 with identical values) changes nothing.
    await upsertEvents([status('b0', 901, '2026-11-01T10:00:00Z', 142), status('b1', 901, '2026-11-10T10:00:00Z', 1003)]);
    expect((await summary()).find((r) => r.lead_id === 901)).toMatchObject({ last_id: 'b3', won_at: new Date('2026-11-11T10:00:00Z') });
    // An upsert that moves events between leads and in time, in one statement.
    await upsertEvents([status('b3', 902, '2026-11-13T10:00:00Z', 143), status('b2', 901, '2026-11-14T10:00:00Z', 142)]);
    s = await summary();
    expect(s.find((r) => r.lead_id === 901)).toMatchObject({ last_id: 'b2', status_id: 142, won_at: new Date('2026-11-14T10:00:00Z') });
    expect(s.find((r) => r.lead_id === 902)).toMatchObject({ last_id: 'b3', status_id: 143 });
    expect(await rebuilt()).toEqual(s);
    await t.db.none(`UPDATE amo.events SET created_at = created_at + interval '30 days' WHERE id IN ('b0', 'b4')`);
    s = await summary();
    expect(await rebuilt()).toEqual(s);
    await t.db.none(`DELETE FROM amo.events WHERE id IN ('b0', 'b1', 'b2', 'b4')`);
    s = await summary();
    expect(s.find((r) => r.lead_id === 901)).toBeUndefined();
    expect(await rebuilt()).toEqual(s);
  });

  const range = ['2026-11-01', '2026-11-30', 'Europe/Moscow'] as const;
  const kept = () => t.db.any('SELECT * FROM kpi.activity($1, $2, $3) ORDER BY day, manager_id', range);
  const fromHistory = () => t.db.any('SELECT * FROM kpi.activity_from_history($1, $2, $3) ORDER BY day, manager_id', range);
  const note = (type: string, id: number, user: number, at: string, seconds: number, uniq: string | null) =>
    `('${type}', ${id}, 1, 'call_out', ${user}, '${at}', ${seconds}, ${uniq === null ? 'NULL' : `'${uniq}'`})`;
  const total = (rows: Array<{ call_seconds: string | number }>) => rows.reduce((a, r) => a + Number(r.call_seconds), 0);
  const upsertNotes = (rows: string[]) =>
    t.db.none(`INSERT INTO amo.notes (entity_type, id, entity_id, note_type, responsible_user_id, created_at, duration_seconds, uniq) VALUES ${rows.join(', ')}
               ON CONFLICT (entity_type, id) DO UPDATE SET responsible_user_id = EXCLUDED.responsible_user_id,
                 created_at = EXCLUDED.created_at, duration_seconds = EXCLUDED.duration_seconds, uniq = EXCLUDED.uniq`);

  it('per-day activity cells equal the history after calls and messages come, move and go', async () => {
    await t.db.one('SELECT kpi.use_activity_zone($1)', ['Europe/Moscow']);
    const before = await kept();
    expect(before.length).toBeGreaterThan(0);
    expect(before).toEqual(await fromHistory());
    // Two copies of one call (lead and contact) on different days: only the earliest counts.
    await upsertNotes([note('leads', 801, ANNA, '2026-11-20T23:59:00+03:00', 300, 'u80'), note('contacts', 802, BORIS, '2026-11-21T00:01:00+03:00', 300, 'u80')]);
    let k = await kept();
    expect(k).toEqual(await fromHistory());
    expect(total(k) - total(before)).toBe(300);
    // A later statement brings an even earlier copy, for another manager: the call moves to it.
    await upsertNotes([note('contacts', 803, BORIS, '2026-11-19T12:00:00+03:00', 300, 'u80'), note('leads', 804, ANNA, '2026-11-19T12:00:00+03:00', 60, null)]);
    expect(await kept()).toEqual(await fromHistory());
    // Rewrites (identical and changed), a delete of the earliest copy, a changed uniq.
    await upsertNotes([note('leads', 804, ANNA, '2026-11-19T12:00:00+03:00', 60, null), note('leads', 801, ANNA, '2026-11-22T10:00:00+03:00', 240, 'u80')]);
    expect(await kept()).toEqual(await fromHistory());
    await t.db.none(`DELETE FROM amo.notes WHERE entity_type = 'contacts' AND id = 803`);
    expect(await kept()).toEqual(await fromHistory());
    // Another call on a day that already has Anna's cell: the cell grows.
    const annaOn19 = async () => (await kept()).find((r) => r.manager_id === ANNA && r.day.getTime() === new Date('2026-11-19T00:00:00Z').getTime());
    const before19 = Number((await annaOn19())!.call_seconds);
    await upsertNotes([note('leads', 805, ANNA, '2026-11-19T15:00:00+03:00', 120, null)]);
    expect(Number((await annaOn19())!.call_seconds)).toBe(before19 + 120);
    expect(await kept()).toEqual(await fromHistory());
    await t.db.none(`UPDATE amo.notes SET uniq = 'u81' WHERE entity_type = 'leads' AND id = 801`);
    expect(await kept()).toEqual(await fromHistory());
    // Messages: several in one statement, one by a robot (0), then moved and deleted.
    await t.db.none(`INSERT INTO amo.events (id, type, entity_id, entity_type, created_by, created_at, value_after) VALUES
      ('mm1', 'outgoing_chat_message', 1, 'lead', ${ANNA}, '2026-11-18T10:00:00+03:00', '[]'),
      ('mm2', 'outgoing_chat_message', 1, 'lead', ${ANNA}, '2026-11-18T11:00:00+03:00', '[]'),
      ('mm3', 'outgoing_chat_message', 1, 'lead', 0, '2026-11-18T11:00:00+03:00', '[]'),
      ('mm4', 'outgoing_chat_message', 1, 'lead', ${BORIS}, '2026-11-17T11:00:00+03:00', '[]')`);
    k = await kept();
    expect(k.find((r) => r.manager_id === ANNA && r.messages === 2)).toBeDefined();
    expect(k).toEqual(await fromHistory());
    await t.db.none(`UPDATE amo.events SET created_at = created_at + interval '1 day' WHERE id IN ('mm1', 'mm4')`);
    expect(await kept()).toEqual(await fromHistory());
    await t.db.none(`DELETE FROM amo.events WHERE id IN ('mm1', 'mm2', 'mm3', 'mm4')`);
    expect(await kept()).toEqual(await fromHistory());
    // The kept cells are exactly what a rebuild gives (no zero or stale cells left behind).
    const cells = () => t.db.any('SELECT * FROM kpi.activity_calls ORDER BY 1, 2').then(async (c) => [c, await t.db.any('SELECT * FROM kpi.activity_messages ORDER BY 1, 2')]);
    const maintained = await cells();
    await t.db.none('TRUNCATE kpi.activity_zone');
    await t.db.one('SELECT kpi.use_activity_zone($1)', ['Europe/Moscow']);
    expect(await cells()).toEqual(maintained);
  });

  // kpi.open_deals (the stuck-deal list) must equal the computation from amo.leads, the status summary and the
  // history after every kind of write the sync makes, and the list must not depend on which path answered.
  // Every column but the row's version, which only says the row was written (a recomputation has none).
  const openDeals = () =>
    t.db.any('SELECT lead_id, lead_name, manager_id, pipeline_id, status_id, price, created_at, entered_at, entered_day FROM kpi.open_deals ORDER BY lead_id');
  const versions = async () => new Map((await t.db.any<{ lead_id: number; version: string }>('SELECT lead_id, version FROM kpi.open_deals')).map((r) => [r.lead_id, r.version]));
  // With the local day of stage entry in the kept zone (migration 0018), NULL while no zone is kept.
  const recomputed = () =>
    t.db.any(`SELECT o.*, (o.entered_at AT TIME ZONE z.zone)::date AS entered_day
                FROM kpi.open_leads_entered('infinity') o LEFT JOIN kpi.activity_zone z ON true ORDER BY o.lead_id`);
  const upsertLeads = (rows: string[]) =>
    t.db.none(`INSERT INTO amo.leads (id, name, price, responsible_user_id, pipeline_id, status_id, created_at, updated_at, deleted_at, closed_at) VALUES ${rows.join(', ')}
               ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, price = EXCLUDED.price, responsible_user_id = EXCLUDED.responsible_user_id,
                 pipeline_id = EXCLUDED.pipeline_id, status_id = EXCLUDED.status_id, updated_at = EXCLUDED.updated_at, deleted_at = EXCLUDED.deleted_at,
                 closed_at = EXCLUDED.closed_at`);
  const at = (instant: string | null) => (instant === null ? 'NULL' : `'${instant}'`);
  const lead = (id: number, user: number, status: number, price = 1000, deleted: string | null = null, closed: string | null = null) =>
    `(${id}, 'Deal ${id}', ${price}, ${user}, 10, ${status}, '2026-10-01T10:00:00+03:00', now(), ${at(deleted)}, ${at(closed)})`;

  it('open deals equal a recomputation after leads, status events and stages change', async () => {
    expect((await openDeals()).length).toBeGreaterThan(0);
    expect(await openDeals()).toEqual(await recomputed());
    // New leads in one statement: one open, one unsorted (not a deal yet), one won.
    await upsertLeads([lead(951, ANNA, 1003), lead(952, BORIS, 1001), lead(953, ANNA, 142)]);
    let d = await openDeals();
    expect(d.map((r) => r.lead_id)).toContain(951);
    expect(d.map((r) => r.lead_id)).not.toContain(952);
    expect(d.map((r) => r.lead_id)).not.toContain(953);
    expect(d.find((r) => r.lead_id === 951)).toMatchObject({ manager_id: ANNA, entered_at: new Date('2026-10-01T07:00:00Z') });
    expect(d).toEqual(await recomputed());
    // A status event into its stage moves its entry; an older one that led elsewhere does not.
    await upsertEvents([status('o1', 951, '2026-11-05T10:00:00Z', 1003), status('o0', 951, '2026-11-01T10:00:00Z', 1002)]);
    d = await openDeals();
    expect(d.find((r) => r.lead_id === 951)!.entered_at).toEqual(new Date('2026-11-05T10:00:00Z'));
    expect(d).toEqual(await recomputed());
    // The lead moves on (the lead list says so before its event arrives), is reassigned and repriced; the
    // unsorted one is sorted; the identical rewrite of a lead changes nothing.
    const before = await versions();
    await upsertLeads([lead(951, BORIS, 1002, 5000), lead(952, BORIS, 1002), lead(953, ANNA, 142)]);
    // A written row has a new version (the API renders its JSON again); a row not written keeps its own.
    const after = await versions();
    expect(after.get(951)).not.toEqual(before.get(951));
    const untouched = [...before.keys()].filter((id) => id !== 951 && id !== 952);
    expect(untouched.length).toBeGreaterThan(2);
    for (const id of untouched) expect([id, after.get(id)]).toEqual([id, before.get(id)]);
    d = await openDeals();
    expect(d.find((r) => r.lead_id === 951)).toMatchObject({ manager_id: BORIS, price: 5000, status_id: 1002, entered_at: new Date('2026-11-01T10:00:00Z') });
    expect(d.map((r) => r.lead_id)).toContain(952);
    expect(d).toEqual(await recomputed());
    // Events rewritten and deleted.
    await upsertEvents([status('o0', 951, '2026-11-06T10:00:00Z', 1002)]);
    expect((await openDeals()).find((r) => r.lead_id === 951)!.entered_at).toEqual(new Date('2026-11-06T10:00:00Z'));
    expect(await openDeals()).toEqual(await recomputed());
    await t.db.none(`DELETE FROM amo.events WHERE id IN ('o0', 'o1')`);
    expect((await openDeals()).find((r) => r.lead_id === 951)!.entered_at).toEqual(new Date('2026-10-01T07:00:00Z'));
    expect(await openDeals()).toEqual(await recomputed());
    // A stage turns "unsorted" and back: its leads leave the list and return.
    await t.db.none(`UPDATE amo.statuses SET type = 1 WHERE pipeline_id = 10 AND id = 1002`);
    d = await openDeals();
    expect(d.filter((r) => r.status_id === 1002)).toEqual([]);
    expect(d).toEqual(await recomputed());
    await t.db.none(`UPDATE amo.statuses SET type = 0 WHERE pipeline_id = 10 AND id = 1002`);
    expect((await openDeals()).map((r) => r.lead_id)).toContain(951);
    expect(await openDeals()).toEqual(await recomputed());
    // Deleted (trash) and hard-deleted leads leave.
    await upsertLeads([lead(951, BORIS, 1002, 5000, '2026-11-20T10:00:00Z')]);
    await t.db.none('DELETE FROM amo.leads WHERE id = 952');
    d = await openDeals();
    expect(d.map((r) => r.lead_id)).not.toContain(951);
    expect(d.map((r) => r.lead_id)).not.toContain(952);
    expect(d).toEqual(await recomputed());
  });

  it('the stuck-deal list is the same from the kept table (now after every event) and from the history (a past now)', async () => {
    const columns = 'lead_id, lead_name, manager_id, pipeline_id, status_id, price, entered_at, days_in_status';
    const viaTable = await t.db.any(`SELECT ${columns} FROM kpi.stale_deals('2027-01-01T00:00:00Z', 'Europe/Moscow', 0) ORDER BY lead_id`);
    const viaHistory = await t.db.any(
      `SELECT h.lead_id, h.lead_name, h.manager_id, h.pipeline_id, h.status_id, h.price, h.entered_at,
              ('2027-01-01'::date - (h.entered_at AT TIME ZONE 'Europe/Moscow')::date)::int AS days_in_status
         FROM kpi.open_leads_entered('2027-01-01T00:00:00Z') h ORDER BY h.lead_id`,
    );
    expect(viaTable.length).toBeGreaterThan(2);
    expect(viaTable).toEqual(viaHistory);
    // A lead that entered its stage on Dec 15. Asked as of Dec 1, the kept table would be wrong (it has seen
    // that event): the history answers, and the lead counts from its creation.
    await upsertLeads([lead(961, DINA, 1003)]);
    await upsertEvents([status('p1', 961, '2026-12-15T10:00:00Z', 1003)]);
    const at = (now: string) => t.db.any(`SELECT ${columns} FROM kpi.stale_deals($1, 'Europe/Moscow', 0) ORDER BY lead_id`, [now]);
    expect((await at('2027-01-01T00:00:00Z')).find((r) => r.lead_id === 961)).toMatchObject({ entered_at: new Date('2026-12-15T10:00:00Z'), days_in_status: 17 });
    const past = await at('2026-12-01T00:00:00Z');
    expect(past.find((r) => r.lead_id === 961)).toMatchObject({ entered_at: new Date('2026-10-01T07:00:00Z'), days_in_status: 61 });
    const pastHistory = await t.db.any(`SELECT lead_id, entered_at FROM kpi.open_leads_entered('2026-12-01T00:00:00Z') ORDER BY lead_id`);
    expect(past.map((r) => [r.lead_id, r.entered_at])).toEqual(pastHistory.map((r) => [r.lead_id, r.entered_at]));
  });

  it('the ranked list is the same from the kept days, in another zone and from the history; a new zone rewrites the days', async () => {
    // Two leads on one Moscow day, entered in the reverse order of their ids; two either side of Moscow's midnight,
    // on one UTC day. The order is by calendar days in status, then lead, never by the instant of entry.
    await upsertLeads([lead(1101, ANNA, 1003), lead(1102, BORIS, 1003), lead(1103, ANNA, 1002), lead(1104, BORIS, 1002)]);
    await upsertEvents([
      status('q1', 1101, '2026-11-10T20:00:00Z', 1003), // 23:00 Nov 10 in Moscow
      status('q2', 1102, '2026-11-10T06:00:00Z', 1003), // 09:00 Nov 10 in Moscow
      status('q3', 1103, '2026-11-11T20:30:00Z', 1002), // 23:30 Nov 11 in Moscow, Nov 11 in UTC
      status('q4', 1104, '2026-11-11T21:30:00Z', 1002), // 00:30 Nov 12 in Moscow, Nov 11 in UTC
    ]);
    await t.db.one('SELECT kpi.use_activity_zone($1)', ['Europe/Moscow']);
    type Args = [now: string, zone: string, minDays: number, manager: number | null, pipeline: number | null, managers: number[] | null, limit: number | null];
    const list = (...a: Args) =>
      t.db.any(`SELECT s.lead_id, s.days_in_status FROM kpi.stale_deals($1, $2, $3, $4, $5, $6, $7) WITH ORDINALITY s ORDER BY s.ordinality`, a);
    // The definition, written apart from the function: days from the history as of now, ranked, filtered, cut.
    const reference = (...[now, zone, minDays, manager, pipeline, managers, limit]: Args) =>
      t.db.any(
        `SELECT lead_id, days_in_status FROM (
           SELECT h.lead_id, h.manager_id, h.pipeline_id,
                  (($1::timestamptz AT TIME ZONE $2)::date - (h.entered_at AT TIME ZONE $2)::date)::int AS days_in_status
             FROM kpi.open_leads_entered($1) h) x
          WHERE days_in_status >= $3 AND ($4::bigint IS NULL OR manager_id = $4) AND ($5::bigint IS NULL OR pipeline_id = $5)
            AND ($6::bigint[] IS NULL OR manager_id = ANY ($6))
          ORDER BY days_in_status DESC, lead_id LIMIT $7`,
        [now, zone, minDays, manager, pipeline, managers, limit],
      );
    const ours = (rows: Array<{ lead_id: number; days_in_status: number }>) => rows.filter((r) => r.lead_id >= 1101 && r.lead_id <= 1104);
    const late = '2027-01-01T00:00:00Z';
    // By hand: Jan 1 less Nov 10, 11 and 12 in Moscow; in UTC the last two share Nov 11.
    expect(ours(await list(late, 'Europe/Moscow', 0, null, null, null, null))).toEqual([
      { lead_id: 1101, days_in_status: 52 }, { lead_id: 1102, days_in_status: 52 }, { lead_id: 1103, days_in_status: 51 }, { lead_id: 1104, days_in_status: 50 },
    ]);
    expect(ours(await list(late, 'UTC', 0, null, null, null, null))).toEqual([
      { lead_id: 1101, days_in_status: 52 }, { lead_id: 1102, days_in_status: 52 }, { lead_id: 1103, days_in_status: 51 }, { lead_id: 1104, days_in_status: 51 },
    ]);
    // Kept days (Moscow), another zone (UTC), and the history (a now before the events of Dec 15), with filters.
    const cases: Args[] = [];
    for (const now of [late, '2026-12-01T00:00:00Z'])
      for (const zone of ['Europe/Moscow', 'UTC', 'Asia/Vladivostok'])
        cases.push([now, zone, 0, null, null, null, null], [now, zone, 51, null, null, null, null], [now, zone, 0, ANNA, null, null, 3],
          [now, zone, 20, null, 10, [ANNA, BORIS], null], [now, zone, 0, null, null, null, 2], [now, zone, 0, DINA, 99, null, null]);
    for (const c of cases) expect([c, await list(...c)]).toEqual([c, await reference(...c)]);
    expect((await list(late, 'Europe/Moscow', 0, null, null, null, null)).length).toBeGreaterThan(4);
    // The Moscow list reads the kept days: one moved by hand shows in it (and is recomputed by the next write).
    await t.db.none('UPDATE kpi.open_deals SET entered_day = entered_day - 3 WHERE lead_id = 1104');
    expect(ours(await list(late, 'Europe/Moscow', 0, null, null, null, null))[0]).toEqual({ lead_id: 1104, days_in_status: 53 });
    expect(ours(await list(late, 'UTC', 0, null, null, null, null))[3]).toEqual({ lead_id: 1104, days_in_status: 51 });
    await upsertEvents([status('q4', 1104, '2026-11-11T21:30:00Z', 1002)]);
    expect(await openDeals()).toEqual(await recomputed());
    // A new kept zone rewrites every day; then its list reads them.
    const beforeZone = await versions();
    await t.db.one('SELECT kpi.use_activity_zone($1)', ['UTC']);
    const afterZone = await versions();
    for (const [id, v] of beforeZone) expect([id, afterZone.get(id)]).not.toEqual([id, v]);
    const days = async () => Object.fromEntries((await t.db.any('SELECT lead_id, entered_day FROM kpi.open_deals WHERE lead_id IN (1103, 1104)')).map((r) => [r.lead_id, r.entered_day.toISOString().slice(0, 10)]));
    expect(await days()).toEqual({ 1103: '2026-11-11', 1104: '2026-11-11' });
    expect(await openDeals()).toEqual(await recomputed());
    for (const c of cases) expect([c, await list(...c)]).toEqual([c, await reference(...c)]);
    await t.db.one('SELECT kpi.use_activity_zone($1)', ['Europe/Moscow']);
    expect(await days()).toEqual({ 1103: '2026-11-11', 1104: '2026-11-12' });
    expect(await openDeals()).toEqual(await recomputed());
  });

  it('task figures read from the kept table equal the same figures over the active-leads view (migration 0015)', async () => {
    // 0003's definition, over kpi.active_leads: the reference the kept table must reproduce.
    const overView = (pipeline: number | null) =>
      t.db.any(
        `SELECT x.manager_id, sum(x.open)::int AS open_tasks, sum(x.overdue)::int AS overdue_tasks, sum(x.bare)::int AS leads_without_tasks
           FROM (SELECT CASE WHEN k.entity_id IS NULL THEN a.responsible_user_id ELSE k.responsible_user_id END AS manager_id,
                        (k.entity_id IS NOT NULL)::int AS open, coalesce(k.complete_till < $1, false)::int AS overdue,
                        (k.entity_id IS NULL)::int AS bare
                   FROM kpi.active_leads a
                   LEFT JOIN amo.tasks k ON k.entity_id = a.id AND k.entity_type = 'leads' AND NOT k.is_completed
                  WHERE $2::bigint IS NULL OR a.pipeline_id = $2::bigint) x
          WHERE x.manager_id IS NOT NULL GROUP BY x.manager_id ORDER BY x.manager_id`,
        ['2026-11-27T12:00:00Z', pipeline],
      );
    const kept = (pipeline: number | null) =>
      t.db.any(`SELECT * FROM kpi.manager_tasks_at($1, $2::bigint) ORDER BY manager_id`, ['2026-11-27T12:00:00Z', pipeline]);
    const all = await kept(null);
    expect(all.some((r) => r.open_tasks > 0 && r.overdue_tasks > 0)).toBe(true);
    expect(all.some((r) => r.leads_without_tasks > 0)).toBe(true);
    expect(all).toEqual(await overView(null));
    expect(await kept(10)).toEqual(await overView(10));
    // After the writes above moved, reassigned, trashed and deleted leads, and a lead is reassigned once more.
    await upsertLeads([lead(961, ANNA, 1003)]);
    expect(await kept(null)).toEqual(await overView(null));
  });

  // kpi.won_deals (the live board's wins, migration 0016) must equal its definition after every kind of write.
  const wonDeals = () => t.db.any('SELECT * FROM kpi.won_deals ORDER BY lead_id');
  const wonNow = () => t.db.any('SELECT * FROM kpi.won_leads_now() ORDER BY lead_id');
  const closed = '2026-11-20T10:00:00Z';
  const wonRow = async (id: number) => (await wonDeals()).find((r) => r.lead_id === id);

  it('won deals equal a recomputation after leads and status events change', async () => {
    const before = await wonDeals();
    // The seed's wins: with a transition into 142 (lead 1), without any status event (lead 9), deleted (7) never.
    expect(before.find((r) => r.lead_id === 1)).toMatchObject({ manager_id: ANNA, price: 100000, won_at: new Date('2026-10-31T21:30:00Z') });
    expect(before.map((r) => r.lead_id)).toContain(9);
    expect(before.map((r) => r.lead_id)).not.toContain(7);
    expect(before).toEqual(await wonNow());
    // A lead won without a status event: its win time is closed_at.
    await upsertLeads([lead(971, ANNA, 142, 3000, null, closed), lead(972, BORIS, 1003, 3000, null, closed)]);
    expect(await wonRow(971)).toMatchObject({ won_at: new Date('2026-11-20T10:00:00Z'), price: 3000 });
    expect(await wonRow(972)).toBeUndefined();
    expect(await wonDeals()).toEqual(await wonNow());
    // Its transition into 142 arrives: the event's instant wins; the other lead is won by an event the lead list
    // has not caught up with (the history decides).
    await upsertEvents([status('w1', 971, '2026-11-18T10:00:00Z', 142), status('w2', 972, '2026-11-19T10:00:00Z', 142)]);
    expect(await wonRow(971)).toMatchObject({ won_at: new Date('2026-11-18T10:00:00Z') });
    expect(await wonRow(972)).toMatchObject({ manager_id: BORIS, won_at: new Date('2026-11-19T10:00:00Z') });
    expect(await wonDeals()).toEqual(await wonNow());
    // Reopened (a later event out of 142), then that event deleted; reassigned and repriced.
    await upsertEvents([status('w3', 971, '2026-11-21T10:00:00Z', 1003)]);
    expect(await wonRow(971)).toBeUndefined();
    expect(await wonDeals()).toEqual(await wonNow());
    await t.db.none(`DELETE FROM amo.events WHERE id = 'w3'`);
    await upsertLeads([lead(971, BORIS, 142, 8000, null, closed)]);
    expect(await wonRow(971)).toMatchObject({ manager_id: BORIS, price: 8000, won_at: new Date('2026-11-18T10:00:00Z') });
    expect(await wonDeals()).toEqual(await wonNow());
    // Trashed and hard-deleted leads leave.
    await upsertLeads([lead(971, BORIS, 142, 8000, '2026-11-25T10:00:00Z', closed)]);
    await t.db.none('DELETE FROM amo.leads WHERE id = 972');
    expect(await wonRow(971)).toBeUndefined();
    expect(await wonRow(972)).toBeUndefined();
    expect(await wonDeals()).toEqual(await wonNow());
  });

  it('won and in-progress leads read from the kept tables equal the definitions before migration 0016', async () => {
    // One after another: the rolled-back reading shares one connection.
    const queries = async (c: { any: Db['any'] }) => {
      const out = [];
      // now: no status event after it (the kept tables answer); Nov 10: later events exist (the history answers)
      for (const p of [null, 10]) out.push(await c.any('SELECT * FROM kpi.won_leads($1, $2, $3::bigint) ORDER BY lead_id', ['2026-10-01T00:00:00Z', '2027-01-01T00:00:00Z', p]));
      out.push(await c.any('SELECT * FROM kpi.won_leads($1, $2) ORDER BY lead_id', ['2026-11-01T00:00:00Z', '2026-11-10T00:00:00Z']));
      for (const p of [null, 20]) out.push(await c.any('SELECT * FROM kpi.in_progress_leads($1, $2::bigint) ORDER BY lead_id', ['2027-01-01T00:00:00Z', p]));
      out.push(await c.any('SELECT * FROM kpi.in_progress_leads($1) ORDER BY lead_id', ['2026-11-10T00:00:00Z']));
      return out;
    };
    // Created after Nov 10, open, no status event: in progress now, not on Nov 10.
    await t.db.none(`INSERT INTO amo.leads (id, name, price, responsible_user_id, pipeline_id, status_id, created_at, updated_at)
                     VALUES (981, 'Deal 981', 700, ${CARL}, 10, 1003, '2026-11-15T10:00:00Z', now())`);
    const kept = await queries(t.db);
    expect(kept[3]!.map((r) => r.lead_id)).toContain(981);
    expect(kept[5]!.map((r) => r.lead_id)).not.toContain(981);
    expect(kept[0]!.length).toBeGreaterThan(2);
    expect(kept[3]!.length).toBeGreaterThan(2);
    // The definitions 0016 replaced, as its down block restores them.
    const before = await beforeMigration('0016_won_deals.sql', async (c) => {
      expect(await c.oneOrNone(`SELECT to_regclass('kpi.won_deals') AS t`)).toEqual({ t: null });
      return queries(c);
    });
    expect(kept).toEqual(before);
  });

  it('the ranked list equals the definition before migration 0018, which its down block restores', async () => {
    const columns = 'lead_id, lead_name, manager_id, pipeline_id, status_id, price, entered_at, days_in_status';
    const cases: Array<[string, string, number]> = [];
    // now after every event (the kept rows) and on Dec 1 (the history); the kept zone and another; two bounds
    for (const now of ['2027-01-01T00:00:00Z', '2026-12-01T00:00:00Z'])
      for (const zone of ['Europe/Moscow', 'UTC']) for (const minDays of [0, 40]) cases.push([now, zone, minDays]);
    await t.db.one('SELECT kpi.use_activity_zone($1)', ['Europe/Moscow']);
    const ranked = [];
    for (const c of cases)
      ranked.push(await t.db.any(`SELECT ${columns} FROM kpi.stale_deals($1, $2, $3, NULL, NULL, NULL, NULL) WITH ORDINALITY s ORDER BY s.ordinality`, c));
    expect(ranked[0]!.length).toBeGreaterThan(3);
    const before = await beforeMigration('0018_open_deals_local_day.sql', async (c) => {
      expect(await c.oneOrNone(`SELECT to_regprocedure('kpi.stale_deal_versions(timestamptz, text, bigint[])') AS f`)).toEqual({ f: null });
      const out = [];
      // the API's ranking before 0018, around the three-argument function
      for (const x of cases) out.push(await c.any(`SELECT ${columns} FROM kpi.stale_deals($1, $2, $3) ORDER BY days_in_status DESC, lead_id`, x));
      return out;
    });
    expect(ranked).toEqual(before);
  });

  it('a reload (TRUNCATE) of the sources leaves the kept table consistent', async () => {
    await t.db.none('TRUNCATE amo.events');
    expect(await openDeals()).toEqual(await recomputed());
    expect(await wonDeals()).toEqual(await wonNow());
    expect((await wonDeals()).length).toBeGreaterThan(0);
    expect((await openDeals()).length).toBeGreaterThan(0);
    await t.db.none('TRUNCATE amo.leads');
    expect(await openDeals()).toEqual([]);
    expect(await wonDeals()).toEqual([]);
  });
});

describe('stuck-deal entry instants below a second', () => {
  const { t, api } = useSeededAccount({ api: true });

  it('come out floored to the millisecond, as a JS Date holds them, never rounded up into the next second', async () => {
    // Lead 10 entered Negotiation at 2026-11-26 23:00 Moscow (the seed); the sync writes whole seconds, a
    // hand-edited row need not.
    await t.db.none(
      `UPDATE amo.events SET created_at = '2026-11-26 23:00:00.999999+03'
        WHERE entity_id = 10 AND type = 'lead_status_changed' AND created_at = '2026-11-26 23:00:00+03'`,
    );
    const r = await api.get('/api/v1/kpi/stale-deals');
    expect(r.json.rows.find((x: any) => x.leadId === 10)).toMatchObject({ enteredAt: '2026-11-26T23:00:00.999+03:00', daysInStatus: 1 });
    await t.db.none(`UPDATE amo.events SET created_at = '2026-11-26 23:00:00.0004+03' WHERE entity_id = 10 AND created_at = '2026-11-26 23:00:00.999999+03'`);
    const again = await api.get('/api/v1/kpi/stale-deals');
    expect(again.json.rows.find((x: any) => x.leadId === 10).enteredAt).toBe('2026-11-26T23:00:00+03:00');
  });
});
