import { performance } from 'node:perf_hooks';
import type { Db, Tx } from '../src/db';

export interface AccountSize {
  leads: number;
  /** Total events (status changes + outgoing chat messages). */
  events: number;
  managers: number;
  /** Days of daily snapshots back from yesterday. */
  snapshotDays: number;
}

const PIPELINES = 5;

function say(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

async function step(label: string, fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  await fn();
  say(`  ${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * Fills a migrated database with a synthetic agency spread over three years ending now, entirely inside
 * Postgres (generate_series): leads with a status history, chat messages, tasks, calls, plans and snapshots.
 * Pseudo-random choices are hashes of the row number, so a size always gives the same data.
 */
export async function generateAccount(pool: Db, size: AccountSize): Promise<{ statusEvents: number; messages: number }> {
  // One connection throughout: the session settings below must apply to every statement.
  return pool.task((db) => fill(db, size));
}

async function fill(db: Tx, size: AccountSize): Promise<{ statusEvents: number; messages: number }> {
  const { leads: n, managers: m } = size;
  say(`generating ${n} leads, ${size.events} events, ${m} managers, ${size.snapshotDays} snapshot days`);
  await db.none(`SET synchronous_commit = off`);
  // Names as a Russian agency's account has them: Cyrillic text makes every long JSON answer a two-byte string
  // to serialize and encode (measured on a copy of the Latin-named account: the 15 700-row list ~10 % slower).
  await step('account, users, pipelines, plans', async () => {
    await db.none(`INSERT INTO amo.account (id, name, currency, timezone, raw) VALUES (1, 'Агентство (бенчмарк)', 'RUB', 'Europe/Moscow', '{}')`);
    await db.none(`INSERT INTO amo.users (id, name, is_active, raw)
                   SELECT u, 'Менеджер ' || lpad(u::text, 3, '0'), u % 17 <> 0, '{}' FROM generate_series(1, $1) u`, [m]);
    await db.none(`INSERT INTO amo.pipelines (id, name, sort, is_main) SELECT p, 'Воронка ' || p, p, p = 1 FROM generate_series(1, $1) p`, [PIPELINES]);
    await db.none(`INSERT INTO amo.statuses (pipeline_id, id, name, sort, type)
                   SELECT p, s.id, s.name, s.sort, s.type FROM generate_series(1, $1) p
                   CROSS JOIN LATERAL (VALUES (p * 100 + 1, 'Неразобранное', 10, 1), (p * 100 + 2, 'Новая заявка', 20, 0),
                     (p * 100 + 3, 'Установлен контакт', 30, 0), (p * 100 + 4, 'Коммерческое предложение', 40, 0),
                     (p * 100 + 5, 'Переговоры', 50, 0), (p * 100 + 6, 'Договор', 60, 0),
                     (142, 'Успешно реализовано', 10000, 0), (143, 'Закрыто и не реализовано', 11000, 0)) s(id, name, sort, type)`, [PIPELINES]);
    await db.none(`INSERT INTO app.plans (month, manager_id, amount)
                   SELECT date_trunc('month', now() - make_interval(months => k))::date, u, 200000 + (u * 7919 % 20) * 50000
                     FROM generate_series(0, 36) k, generate_series(1, $1) u`, [m]);
  });
  // r1 decides the outcome, r2 the timing; recent leads (90 days) are often still open, old ones rarely.
  await step('leads', () =>
    db.none(
      `INSERT INTO amo.leads (id, name, price, responsible_user_id, pipeline_id, status_id, created_by, created_at, updated_at, closed_at, deleted_at)
       SELECT i, 'Сделка №' || i, 1000 + (i * 7919 % 400) * 500, 1 + i % $2, x.p,
              CASE x.outcome WHEN 'won' THEN 142 WHEN 'lost' THEN 143 WHEN 'unsorted' THEN x.p * 100 + 1 ELSE x.p * 100 + 2 + i % 5 END,
              1 + i % $2, x.c, x.c, CASE WHEN x.outcome IN ('won', 'lost') THEN x.closed END,
              CASE WHEN x.r2 < 0.01 THEN now() END
         FROM generate_series(1, $1::bigint) i
         CROSS JOIN LATERAL (
           SELECT y.*, least(y.c + make_interval(secs => 86400 * (1 + y.r2 * 20)), now() - interval '1 minute') AS closed,
                  CASE WHEN y.c > now() - interval '90 days' THEN
                         CASE WHEN y.r1 < 0.40 THEN 'active' WHEN y.r1 < 0.43 THEN 'unsorted' WHEN y.r1 < 0.70 THEN 'won' ELSE 'lost' END
                       ELSE CASE WHEN y.r1 < 0.005 THEN 'active' WHEN y.r1 < 0.455 THEN 'won' ELSE 'lost' END END AS outcome
             FROM (SELECT now() - interval '1095 days' * (1 - i::float8 / $1) AS c, 1 + i % ${PIPELINES} AS p,
                          ((i * 2654435761) % 1000) / 1000.0 AS r1, ((i * 40503) % 997) / 997.0 AS r2) y
         ) x`,
      [n, m],
    ),
  );
  // Incoming -> New one hour after creation, New -> current stage (or Contacted), closed ones -> 142/143 at closed_at.
  // A bulk load skips the summary triggers and rebuilds the summaries once (what a DBA would do too).
  await db.none('ALTER TABLE amo.events DISABLE TRIGGER events_status_last_ins');
  await db.none('ALTER TABLE amo.events DISABLE TRIGGER events_status_since_ins');
  await step('status events', () =>
    db.none(
      `INSERT INTO amo.events (id, type, entity_id, entity_type, created_by, created_at, value_before, value_after)
       SELECT 's' || l.id || '_' || e.k, 'lead_status_changed', l.id, 'lead', l.responsible_user_id, e.at,
              jsonb_build_array(jsonb_build_object('lead_status', jsonb_build_object('id', e.b, 'pipeline_id', l.pipeline_id))),
              jsonb_build_array(jsonb_build_object('lead_status', jsonb_build_object('id', e.a, 'pipeline_id', l.pipeline_id)))
         FROM amo.leads l
         CROSS JOIN LATERAL (
           SELECT 1 AS k, l.created_at + interval '1 hour' AS at, l.pipeline_id * 100 + 1 AS b, l.pipeline_id * 100 + 2 AS a
           UNION ALL
           SELECT 2, l.created_at + (coalesce(l.closed_at, now()) - l.created_at) / 2, l.pipeline_id * 100 + 2,
                  CASE WHEN l.status_id IN (142, 143) THEN l.pipeline_id * 100 + 3 ELSE l.status_id END
           UNION ALL
           SELECT 3, l.closed_at, l.pipeline_id * 100 + 3, l.status_id WHERE l.status_id IN (142, 143)
         ) e
        WHERE l.status_id <> l.pipeline_id * 100 + 1 AND e.at < now()`,
    ),
  );
  await step('per-lead status summary (kpi.rebuild_lead_status_last)', () => db.one('SELECT kpi.rebuild_lead_status_last()'));
  await db.none('ALTER TABLE amo.events ENABLE TRIGGER events_status_last_ins');
  await step('open and won deals (kpi.refresh_open_deals)', () => db.one('SELECT kpi.refresh_open_deals()'));
  await db.none('ALTER TABLE amo.events ENABLE TRIGGER events_status_since_ins');
  const statusEvents = (await db.one(`SELECT count(*)::int AS n FROM amo.events`)).n as number;
  const messages = Math.max(size.events - statusEvents, 0);
  await step(`chat messages (${messages})`, () =>
    db.none(
      `INSERT INTO amo.events (id, type, entity_id, entity_type, created_by, created_at, value_after)
       SELECT 'm' || j, 'outgoing_chat_message', 1 + j % $2, 'lead', CASE WHEN j % 100 = 0 THEN 0 ELSE 1 + j % $3 END,
              now() - interval '1095 days' * (1 - j::float8 / $1), '[{"message":{"id":"x"}}]'
         FROM generate_series(1, $1::bigint) j`,
      [messages, n, m],
    ),
  );
  await step('tasks', () =>
    db.none(
      `INSERT INTO amo.tasks (id, responsible_user_id, entity_id, entity_type, task_type_id, text, is_completed, complete_till, created_at)
       SELECT l.id, l.responsible_user_id, l.id, 'leads', 1, 'follow up', l.status_id IN (142, 143) OR l.id % 7 = 0,
              l.created_at + interval '3 days' + make_interval(days => (l.id % 60)::int), l.created_at
         FROM amo.leads l WHERE l.id % 3 <> 0`,
    ),
  );
  await step('call notes', () =>
    db.none(
      `INSERT INTO amo.notes (entity_type, id, entity_id, note_type, responsible_user_id, created_by, created_at, duration_seconds, uniq, params)
       SELECT CASE WHEN k = 2 THEN 'contacts' ELSE 'leads' END, l.id, l.id, CASE WHEN l.id % 2 = 0 THEN 'call_in' ELSE 'call_out' END,
              l.responsible_user_id, l.responsible_user_id, l.created_at + interval '2 hours', 30 + l.id % 600,
              CASE WHEN l.id % 4 = 0 THEN 'u' || l.id END, jsonb_build_object('duration', 30 + l.id % 600)
         FROM amo.leads l, generate_series(1, 2) k WHERE k = 1 OR l.id % 4 = 0`,
    ),
  );
  await step(`snapshots (${size.snapshotDays} days x ${m} managers x ${PIPELINES + 1} views)`, async () => {
    // Generated rows satisfy the foreign key by construction; skip its per-row checks.
    await db.none('SET session_replication_role = replica');
    await db.none(
      `INSERT INTO kpi.snapshot_days (day, pipeline_id, source, as_of, taken_at)
       SELECT d::date, p, 'snapshot', (d::date + 1)::timestamp AT TIME ZONE 'Europe/Moscow', (d::date + 1)::timestamp AT TIME ZONE 'Europe/Moscow'
         FROM generate_series((now() AT TIME ZONE 'Europe/Moscow')::date - $1, (now() AT TIME ZONE 'Europe/Moscow')::date - 1, interval '1 day') d,
              generate_series(0, ${PIPELINES}) p`,
      [size.snapshotDays],
    );
    await db.none(
      `INSERT INTO kpi.snapshot_managers (day, pipeline_id, manager_id, won_amount, won_count, in_progress_amount, in_progress_count,
                                          open_tasks, overdue_tasks, leads_without_tasks)
       SELECT s.day, s.pipeline_id, u, (u * 31 + extract(day FROM s.day)::int) % 40 * 10000, (u + extract(day FROM s.day)::int) % 40,
              u * 5000, u % 30, u % 25, u % 7, u % 11
         FROM kpi.snapshot_days s, generate_series(1, $1) u`,
      [m],
    );
    await db.none('SET session_replication_role = DEFAULT');
  });
  // What autovacuum does in steady state: statistics and visibility maps (index-only scans).
  await step('vacuum analyze', () => db.none('VACUUM ANALYZE'));
  return { statusEvents, messages };
}
