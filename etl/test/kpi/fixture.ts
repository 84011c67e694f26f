import type { Db } from '../../src/db';
import { loadConfig, type Config } from '../../src/config';

/**
 * A small hand-built account (Europe/Moscow, RUB) whose expected figures are worked out by hand in the tests.
 * "Now" is frozen at 2026-11-27 15:00 Moscow time.
 */
export const NOW = '2026-11-27T15:00:00+03:00';
export const API_TOKEN = 'read-token-123';
export const ADMIN_TOKEN = 'admin-token-456';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    AMOKPI_NOW: NOW,
    AMOKPI_API_TOKEN: API_TOKEN,
    AMOKPI_ADMIN_TOKEN: ADMIN_TOKEN,
    AMOKPI_PORT: '0',
    AMOCRM_BASE_URL: 'https://acme.amocrm.ru',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

export const ANNA = 101;
export const BORIS = 102;
export const CARL = 103; // inactive
export const DINA = 104;
export const SALES = 10;
export const PARTNERS = 20;

export type Stage = [pipeline: number, status: number];

/** Writers of hand-built leads and their status moves (event ids ev001, ev002, … per writer; another prefix for a second writer). */
export function leadWriters(db: Db, eventPrefix = 'ev') {
  const lead = (id: number, resp: number, price: number, [p, s]: Stage, created: string, extra: { closed?: string; deleted?: string } = {}) =>
    db.none(
      `INSERT INTO amo.leads (id, name, price, responsible_user_id, pipeline_id, status_id, created_at, updated_at, closed_at, deleted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)`,
      [id, `Lead ${id}`, price, resp, p, s, created, extra.closed ?? null, extra.deleted ?? null],
    );
  let eventSeq = 0;
  const move = (leadId: number, at: string, [bp, bs]: Stage, [ap, as]: Stage) =>
    db.none(
      `INSERT INTO amo.events (id, type, entity_id, entity_type, created_by, created_at, value_before, value_after)
       VALUES ($1, 'lead_status_changed', $2, 'lead', 101, $3, $4, $5)`,
      [
        `${eventPrefix}${String(++eventSeq).padStart(3, '0')}`, leadId, at,
        JSON.stringify([{ lead_status: { id: bs, pipeline_id: bp } }]),
        JSON.stringify([{ lead_status: { id: as, pipeline_id: ap } }]),
      ],
    );
  return { lead, move };
}


export async function seed(db: Db): Promise<void> {
  await db.none(`INSERT INTO amo.account (id, name, currency, timezone, raw) VALUES (1, 'Acme', 'RUB', 'Europe/Moscow', '{}')`);
  await db.none(`INSERT INTO amo.users (id, name, is_active, raw) VALUES
    (101, 'Anna', true, '{}'), (102, 'Boris', true, '{}'), (103, 'Carl', false, '{}'), (104, 'Dina', true, '{}')`);
  await db.none(`INSERT INTO amo.pipelines (id, name, sort, is_main) VALUES (10, 'Sales', 1, true), (20, 'Partners', 2, false)`);
  await db.none(`INSERT INTO amo.statuses (pipeline_id, id, name, sort, type) VALUES
    (10, 1001, 'Incoming', 10, 1), (10, 1002, 'New', 20, 0), (10, 1003, 'Negotiation', 30, 0), (10, 142, 'Won', 10000, 0), (10, 143, 'Lost', 11000, 0),
    (20, 2001, 'Incoming', 10, 1), (20, 2002, 'Qualify', 20, 0), (20, 142, 'Won', 10000, 0), (20, 143, 'Lost', 11000, 0)`);

  const { lead, move } = leadWriters(db);

  // L1 Anna: won 00:30 Moscow on Nov 1 (Oct 31 21:30 UTC) -> November. Has an open task: tasks on closed deals do not count.
  await lead(1, ANNA, 100000, [SALES, 142], '2026-10-20T10:00:00+03:00', { closed: '2026-11-01T00:30:00+03:00' });
  await move(1, '2026-11-01T00:30:00+03:00', [SALES, 1002], [SALES, 142]);
  // L2 Anna: won 23:30 on Oct 31 -> October.
  await lead(2, ANNA, 50000, [SALES, 142], '2026-10-01T10:00:00+03:00', { closed: '2026-10-31T23:30:00+03:00' });
  await move(2, '2026-10-31T23:30:00+03:00', [SALES, 1003], [SALES, 142]);
  // L3 Boris: won Nov 5, reopened Nov 6, re-won Nov 20.
  await lead(3, BORIS, 70000, [SALES, 142], '2026-10-25T10:00:00+03:00', { closed: '2026-11-20T12:00:00+03:00' });
  await move(3, '2026-11-05T10:00:00+03:00', [SALES, 1003], [SALES, 142]);
  await move(3, '2026-11-06T10:00:00+03:00', [SALES, 142], [SALES, 1003]);
  await move(3, '2026-11-20T12:00:00+03:00', [SALES, 1003], [SALES, 142]);
  // L4 Boris: won Nov 3, reopened Nov 10 09:00 into New; active now, only a completed task.
  await lead(4, BORIS, 30000, [SALES, 1002], '2026-11-02T10:00:00+03:00');
  await move(4, '2026-11-03T10:00:00+03:00', [SALES, 1002], [SALES, 142]);
  await move(4, '2026-11-10T09:00:00+03:00', [SALES, 142], [SALES, 1002]);
  // L5 Anna: moved Sales -> Partners on Nov 2, won in Partners on Nov 12.
  await lead(5, ANNA, 40000, [PARTNERS, 142], '2026-10-15T10:00:00+03:00', { closed: '2026-11-12T10:00:00+03:00' });
  await move(5, '2026-11-02T10:00:00+03:00', [SALES, 1002], [PARTNERS, 2002]);
  await move(5, '2026-11-12T10:00:00+03:00', [PARTNERS, 2002], [PARTNERS, 142]);
  // L6 Carl (inactive): won Nov 8.
  await lead(6, CARL, 25000, [SALES, 142], '2026-11-01T10:00:00+03:00', { closed: '2026-11-08T10:00:00+03:00' });
  await move(6, '2026-11-08T10:00:00+03:00', [SALES, 1003], [SALES, 142]);
  // L7 Anna: won Nov 9, then deleted -> gone from every figure.
  await lead(7, ANNA, 999999, [SALES, 142], '2026-11-01T10:00:00+03:00', { closed: '2026-11-09T10:00:00+03:00', deleted: '2026-11-25T10:00:00+03:00' });
  await move(7, '2026-11-09T10:00:00+03:00', [SALES, 1003], [SALES, 142]);
  // L8 Boris: unsorted (incoming) -> neither active nor in progress.
  await lead(8, BORIS, 10000, [SALES, 1001], '2026-11-26T10:00:00+03:00');
  // L9 Boris: won without any status event -> win time = closed_at (Nov 15).
  await lead(9, BORIS, 60000, [SALES, 142], '2026-11-01T10:00:00+03:00', { closed: '2026-11-15T10:00:00+03:00' });
  // L10 Anna: active, moved into Negotiation yesterday 23:00 -> 1 day in status; has an overdue open task.
  await lead(10, ANNA, 20000, [SALES, 1003], '2026-11-20T10:00:00+03:00');
  await move(10, '2026-11-26T23:00:00+03:00', [SALES, 1002], [SALES, 1003]);
  // L11 Anna: active since Sep 1, no events, no tasks.
  await lead(11, ANNA, 15000, [SALES, 1002], '2026-09-01T12:00:00+03:00');
  // L12 Boris: active in Partners, an open task whose responsible user is Anna.
  await lead(12, BORIS, 5000, [PARTNERS, 2002], '2026-11-02T10:00:00+03:00');
  // L14 Boris: lost on Nov 4.
  await lead(14, BORIS, 8000, [SALES, 143], '2026-10-05T10:00:00+03:00', { closed: '2026-11-04T10:00:00+03:00' });
  await move(14, '2026-11-04T10:00:00+03:00', [SALES, 1002], [SALES, 143]);
  // L15 Boris: won Oct 10.
  await lead(15, BORIS, 45000, [SALES, 142], '2026-09-01T10:00:00+03:00', { closed: '2026-10-10T10:00:00+03:00' });
  await move(15, '2026-10-10T10:00:00+03:00', [SALES, 1002], [SALES, 142]);
  // L16 Dina: won 23:00 on Feb 28 2026, no events.
  await lead(16, DINA, 12000, [SALES, 142], '2026-02-01T10:00:00+03:00', { closed: '2026-02-28T23:00:00+03:00' });

  const task = (id: number, resp: number, entityType: string, entityId: number, done: boolean, till: string) =>
    db.none(
      `INSERT INTO amo.tasks (id, responsible_user_id, entity_id, entity_type, task_type_id, text, is_completed, complete_till, created_at)
       VALUES ($1, $2, $3, $4, 1, 'call back', $5, $6, '2026-11-20T10:00:00+03:00')`,
      [id, resp, entityId, entityType, done, till],
    );
  await task(1, ANNA, 'leads', 10, false, '2026-11-27T10:00:00+03:00'); // overdue
  await task(2, ANNA, 'leads', 10, true, '2026-11-25T10:00:00+03:00'); // completed
  await task(3, ANNA, 'leads', 12, false, '2099-11-30T10:00:00+03:00'); // on Boris's lead
  await task(4, ANNA, 'leads', 1, false, '2026-11-20T10:00:00+03:00'); // on a closed deal
  await task(5, ANNA, 'contacts', 500, false, '2026-11-20T10:00:00+03:00'); // on a contact
  await task(6, BORIS, 'leads', 4, true, '2026-11-20T10:00:00+03:00'); // completed

  const note = (entityType: string, id: number, resp: number, type: string, at: string, seconds: number, params: object) =>
    db.none(
      `INSERT INTO amo.notes (entity_type, id, entity_id, note_type, responsible_user_id, created_by, created_at, duration_seconds, uniq, params)
       VALUES ($1, $2, 1, $3, $4, $4, $5, $6, $7, $8)`,
      [entityType, id, type, resp, at, seconds, (params as { uniq?: string }).uniq ?? null, JSON.stringify(params)],
    );
  await note('leads', 1, ANNA, 'call_out', '2026-11-25T10:00:00+03:00', 120, { uniq: 'u1', duration: 120 });
  await note('contacts', 2, ANNA, 'call_out', '2026-11-25T10:00:30+03:00', 120, { uniq: 'u1', duration: 120 }); // same call
  await note('contacts', 3, BORIS, 'call_in', '2026-11-26T00:30:00+03:00', 90, { duration: '90' }); // numeric string
  await note('leads', 4, ANNA, 'call_in', '2026-11-27T09:00:00+03:00', 45, { duration: 45 });
  await note('leads', 5, ANNA, 'call_in', '2026-11-27T09:10:00+03:00', 45, { duration: 45 });
  await note('leads', 6, BORIS, 'call_out', '2026-11-27T11:00:00+03:00', 30, { duration: 30 }); // on the deleted lead
  await note('leads', 7, ANNA, 'common', '2026-11-27T11:00:00+03:00', 600, {}); // not a call
  await note('contacts', 1, CARL, 'call_out', '2026-11-26T12:00:00+03:00', 60, { duration: 60 }); // same id as a lead note
  await note('contacts', 9, BORIS, 'call_out', '2026-11-27T12:00:00+03:00', 50, { duration: 50 });

  const message = (id: string, author: number, at: string) =>
    db.none(
      `INSERT INTO amo.events (id, type, entity_id, entity_type, created_by, created_at, value_after)
       VALUES ($1, 'outgoing_chat_message', 1, 'lead', $2, $3, '[{"message":{"id":"m"}}]')`,
      [id, author, at],
    );
  await message('m1', ANNA, '2026-11-25T12:00:00+03:00');
  await message('m2', ANNA, '2026-11-25T13:00:00+03:00');
  await message('m3', BORIS, '2026-11-27T10:00:00+03:00');
  await message('m4', 0, '2026-11-27T10:00:00+03:00'); // robot
  await message('m5', 999, '2026-11-27T10:00:00+03:00'); // integration, not a user

  await db.none(`INSERT INTO app.plans (month, manager_id, amount) VALUES
    ('2026-11-01', 101, 160000), ('2026-11-01', 102, 100000), ('2026-11-01', 104, 50000), ('2026-10-01', 102, 10000)`);
}
