import { createTestDatabase, type TestDatabase } from '../support/db';
import { ANNA, BORIS, seed } from './fixture';
import { ignoreTeardownErrors } from './http';

/**
 * The statement-level triggers keep kpi.lead_status_last and the per-day activity cells equal to what a
 * rebuild from amo.events / amo.notes gives, under multi-row statements as the sync writes them.
 */
describe('kpi tables kept by statement-level triggers', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    ignoreTeardownErrors(t.db);
    await seed(t.db);
  });
  afterAll(() => t.drop());

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
});
