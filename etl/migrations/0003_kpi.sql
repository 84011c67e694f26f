-- Up Migration
-- The one home of the KPI definitions (../shared/KPI.md): the API, the daily snapshots and the Grafana
-- alert rules all read these functions and views. Every instant parameter is exclusive: an as-of
-- instant T sees events strictly before T, so an event at exactly D+1 00:00 belongs to day D+1.
CREATE SCHEMA IF NOT EXISTS kpi;

-- Indexes the KPI queries need on the amoCRM copy (measured with `npm run bench -- kpi`).
CREATE INDEX IF NOT EXISTS events_status_into ON amo.events (after_status_id, created_at) WHERE type = 'lead_status_changed';
CREATE INDEX IF NOT EXISTS leads_closed_at ON amo.leads (closed_at) WHERE deleted_at IS NULL;
-- Covering (index-only) lookups for the live board: won leads without status events, open leads (with
-- their name, for the stuck-deal list: 1M leads 58 -> 45 ms), lead attributes by id, open tasks on leads,
-- call notes.
CREATE INDEX IF NOT EXISTS leads_won_closed_at ON amo.leads (closed_at) INCLUDE (id, responsible_user_id, price, pipeline_id, created_at)
  WHERE deleted_at IS NULL AND status_id = 142;
CREATE INDEX IF NOT EXISTS leads_open ON amo.leads (responsible_user_id) INCLUDE (id, pipeline_id, status_id, price, created_at, name)
  WHERE deleted_at IS NULL AND status_id <> ALL ('{142,143}'::bigint[]);
CREATE INDEX IF NOT EXISTS leads_cover ON amo.leads (id) INCLUDE (responsible_user_id, price, created_at, deleted_at);
CREATE INDEX IF NOT EXISTS tasks_open_cover ON amo.tasks (entity_id) INCLUDE (responsible_user_id, complete_till)
  WHERE NOT is_completed AND entity_type = 'leads';
CREATE INDEX IF NOT EXISTS notes_calls ON amo.notes (created_at) INCLUDE (responsible_user_id, duration_seconds, uniq, entity_type, id)
  WHERE note_type IN ('call_in', 'call_out');
CREATE INDEX IF NOT EXISTS events_by_author ON amo.events (type, created_by, created_at);

-- Unsorted (incoming) stages are those of type 1; the checks below are written inline (NOT EXISTS on
-- amo.statuses) because a function holding a subquery is not inlined by the planner.
-- Active lead (current state): not deleted, not won/lost, not in an unsorted stage.
CREATE VIEW kpi.active_leads AS
SELECT l.*
FROM amo.leads l
WHERE l.deleted_at IS NULL
  AND l.status_id <> ALL ('{142,143}'::bigint[])
  AND NOT EXISTS (SELECT 1 FROM amo.statuses us WHERE us.pipeline_id = l.pipeline_id AND us.id = l.status_id AND us.type = 1);

-- A lead's stage at instant T by its status history: value_after of the last event before T; before its
-- first event, that event's value_before; with no events, its current stage.
CREATE FUNCTION kpi.lead_stage_at(p_lead bigint, p_t timestamptz)
RETURNS TABLE (pipeline_id bigint, status_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT x.pipeline_id, x.status_id FROM (
    (SELECT e.after_pipeline_id AS pipeline_id, e.after_status_id AS status_id, 1 AS pri
       FROM amo.events e
      WHERE e.type = 'lead_status_changed' AND e.entity_id = p_lead AND e.created_at < p_t
      ORDER BY e.created_at DESC, e.id DESC LIMIT 1)
    UNION ALL
    (SELECT e.before_pipeline_id, e.before_status_id, 2
       FROM amo.events e
      WHERE e.type = 'lead_status_changed' AND e.entity_id = p_lead AND e.created_at >= p_t
      ORDER BY e.created_at, e.id LIMIT 1)
    UNION ALL
    (SELECT l.pipeline_id, l.status_id, 3 FROM amo.leads l WHERE l.id = p_lead)
  ) x
  ORDER BY x.pri
  LIMIT 1
$$;

-- Leads won at T whose win time is in [p_from, p_to): status at p_to is 142 and the last transition into
-- 142 before p_to (else closed_at) is inside the period. Deleted leads never count. This reads every
-- candidate's history (any T); kpi.won_leads below answers the live board from a per-lead summary.
CREATE FUNCTION kpi.won_leads_by_history(p_from timestamptz, p_to timestamptz, p_pipeline bigint DEFAULT NULL)
RETURNS TABLE (lead_id bigint, manager_id bigint, price bigint, pipeline_id bigint, won_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH cand AS (
    SELECT e.entity_id AS id FROM amo.events e
     WHERE e.type = 'lead_status_changed' AND e.after_status_id = 142 AND e.created_at >= p_from AND e.created_at < p_to
    UNION
    SELECT l.id FROM amo.leads l
     WHERE l.deleted_at IS NULL AND l.closed_at >= p_from AND l.closed_at < p_to
  )
  SELECT l.id, l.responsible_user_id, l.price, s.pipeline_id, w.won_at
  FROM cand
  JOIN amo.leads l ON l.id = cand.id AND l.deleted_at IS NULL AND coalesce(l.created_at, '-infinity') < p_to
  CROSS JOIN LATERAL kpi.lead_stage_at(l.id, p_to) s
  CROSS JOIN LATERAL (
    SELECT coalesce(
      (SELECT max(e.created_at) FROM amo.events e
        WHERE e.type = 'lead_status_changed' AND e.entity_id = l.id AND e.after_status_id = 142 AND e.created_at < p_to),
      l.closed_at) AS won_at
  ) w
  WHERE s.status_id = 142 AND w.won_at >= p_from AND w.won_at < p_to
    AND (p_pipeline IS NULL OR s.pipeline_id = p_pipeline)
$$;

-- Precomputed per-lead status summary so that the live board (T = now) does not walk every won lead's
-- history: the last status event of each lead and its last transition into 142, kept current by a trigger
-- on amo.events. Reconstructed past days still read the full history (kpi.lead_stage_at).
CREATE TABLE kpi.lead_status_last (
  lead_id      bigint PRIMARY KEY,
  last_at      timestamptz NOT NULL,
  last_id      text NOT NULL,
  pipeline_id  bigint,      -- value_after of the last status event
  status_id    bigint,
  won_at       timestamptz  -- the last transition into 142, any time
);
CREATE INDEX lead_status_last_won ON kpi.lead_status_last (won_at) INCLUDE (lead_id, pipeline_id) WHERE status_id = 142;
CREATE INDEX lead_status_last_open ON kpi.lead_status_last (lead_id) INCLUDE (last_at, pipeline_id, status_id)
  WHERE status_id <> ALL ('{142,143}'::bigint[]);

-- Recomputes the summary of the given leads (all when null) from amo.events.
CREATE FUNCTION kpi.rebuild_lead_status_last(p_leads bigint[] DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM kpi.lead_status_last WHERE p_leads IS NULL OR lead_id = ANY (p_leads);
  INSERT INTO kpi.lead_status_last (lead_id, last_at, last_id, pipeline_id, status_id, won_at)
  SELECT DISTINCT ON (e.entity_id) e.entity_id, e.created_at, e.id, e.after_pipeline_id, e.after_status_id,
         max(e.created_at) FILTER (WHERE e.after_status_id = 142) OVER (PARTITION BY e.entity_id)
    FROM amo.events e
   WHERE e.type = 'lead_status_changed' AND e.entity_id IS NOT NULL AND (p_leads IS NULL OR e.entity_id = ANY (p_leads))
   ORDER BY e.entity_id, e.created_at DESC, e.id DESC;
$$;

-- Statement-level triggers with transition tables: one upsert per INSERT statement (a sync batch), not one
-- per row (measured: the per-row trigger cost ~20 % of the sync's write throughput).
CREATE FUNCTION kpi.track_status_events() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched bigint[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- Events arrive in any order (overlapping sync windows): keep the latest by (time, id). One row per lead
    -- (ON CONFLICT may not touch a row twice in a statement): its latest new event and its latest new win.
    INSERT INTO kpi.lead_status_last AS s (lead_id, last_at, last_id, pipeline_id, status_id, won_at)
    SELECT DISTINCT ON (n.entity_id) n.entity_id, n.created_at, n.id, n.after_pipeline_id, n.after_status_id,
           max(n.created_at) FILTER (WHERE n.after_status_id = 142) OVER (PARTITION BY n.entity_id)
      FROM new_rows n
     WHERE n.type = 'lead_status_changed' AND n.entity_id IS NOT NULL
     ORDER BY n.entity_id, n.created_at DESC, n.id DESC
    ON CONFLICT (lead_id) DO UPDATE SET
      last_at     = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (s.last_at, s.last_id) THEN EXCLUDED.last_at ELSE s.last_at END,
      last_id     = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (s.last_at, s.last_id) THEN EXCLUDED.last_id ELSE s.last_id END,
      pipeline_id = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (s.last_at, s.last_id) THEN EXCLUDED.pipeline_id ELSE s.pipeline_id END,
      status_id   = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (s.last_at, s.last_id) THEN EXCLUDED.status_id ELSE s.status_id END,
      won_at      = greatest(s.won_at, EXCLUDED.won_at);
    RETURN NULL;
  ELSIF TG_OP = 'UPDATE' THEN
    -- An upsert that rewrites an event with identical values changes nothing, so only real changes
    -- (paired by the primary key; a changed id counts as a change on both sides) recompute their leads.
    SELECT array_agg(DISTINCT x.entity_id) INTO touched FROM (
      SELECT o.entity_id FROM old_rows o
       WHERE o.type = 'lead_status_changed' AND o.entity_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND (n.*) IS NOT DISTINCT FROM (o.*))
      UNION ALL
      SELECT n.entity_id FROM new_rows n
       WHERE n.type = 'lead_status_changed' AND n.entity_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id AND (o.*) IS NOT DISTINCT FROM (n.*))
    ) x;
  ELSE
    SELECT array_agg(DISTINCT o.entity_id) INTO touched FROM old_rows o
     WHERE o.type = 'lead_status_changed' AND o.entity_id IS NOT NULL;
  END IF;
  IF touched IS NOT NULL THEN
    PERFORM kpi.rebuild_lead_status_last(touched);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER events_status_last_ins AFTER INSERT ON amo.events REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_status_events();
CREATE TRIGGER events_status_last_upd AFTER UPDATE ON amo.events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_status_events();
CREATE TRIGGER events_status_last_del AFTER DELETE ON amo.events REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_status_events();
-- TRUNCATE (a full reload) empties the summary too.
CREATE FUNCTION kpi.clear_status_last() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE kpi.lead_status_last;
  RETURN NULL;
END
$$;
CREATE TRIGGER events_status_last_trunc AFTER TRUNCATE ON amo.events FOR EACH STATEMENT EXECUTE FUNCTION kpi.clear_status_last();

SELECT kpi.rebuild_lead_status_last();


-- Wins: when no status event is at or after p_to (the live board), the summary answers directly; otherwise
-- (a reconstructed past day) every candidate's history is read.
CREATE FUNCTION kpi.won_leads(p_from timestamptz, p_to timestamptz, p_pipeline bigint DEFAULT NULL)
RETURNS TABLE (lead_id bigint, manager_id bigint, price bigint, pipeline_id bigint, won_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT l.id, l.responsible_user_id, l.price, s.pipeline_id, s.won_at
    FROM kpi.lead_status_last s
    JOIN amo.leads l ON l.id = s.lead_id AND l.deleted_at IS NULL AND coalesce(l.created_at, '-infinity') < p_to
   WHERE s.status_id = 142 AND s.won_at >= p_from AND s.won_at < p_to
     AND (p_pipeline IS NULL OR s.pipeline_id = p_pipeline)
     AND NOT EXISTS (SELECT 1 FROM amo.events e WHERE e.type = 'lead_status_changed' AND e.created_at >= p_to)
  UNION ALL
  SELECT l.id, l.responsible_user_id, l.price, l.pipeline_id, l.closed_at
    FROM amo.leads l
   WHERE l.deleted_at IS NULL AND l.status_id = 142 AND l.closed_at >= p_from AND l.closed_at < p_to
     AND coalesce(l.created_at, '-infinity') < p_to
     AND (p_pipeline IS NULL OR l.pipeline_id = p_pipeline)
     AND NOT EXISTS (SELECT 1 FROM kpi.lead_status_last s WHERE s.lead_id = l.id)
     AND NOT EXISTS (SELECT 1 FROM amo.events e WHERE e.type = 'lead_status_changed' AND e.created_at >= p_to)
  UNION ALL
  SELECT h.* FROM kpi.won_leads_by_history(p_from, p_to, p_pipeline) h
   WHERE EXISTS (SELECT 1 FROM amo.events e WHERE e.type = 'lead_status_changed' AND e.created_at >= p_to)
$$;

-- Stage entry of every active lead (current state) at least p_min_days calendar days in it: the last status
-- event into its current stage before p_now (the summary's last event when it led there, else the history),
-- else its creation; days in status are calendar days in p_tz.
CREATE FUNCTION kpi.stale_deals(p_now timestamptz, p_tz text, p_min_days int DEFAULT 0)
RETURNS TABLE (lead_id bigint, lead_name text, manager_id bigint, pipeline_id bigint, status_id bigint,
               price bigint, entered_at timestamptz, days_in_status int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT a.id, a.name, a.responsible_user_id, a.pipeline_id, a.status_id, a.price, en.entered_at,
         ((SELECT (p_now AT TIME ZONE p_tz)::date) - (en.entered_at AT TIME ZONE p_tz)::date)::int
  FROM kpi.active_leads a
  -- Only summaries of open leads are joined (a hash join over a small partial index, not a million rows).
  LEFT JOIN (SELECT o.lead_id, o.last_at, o.pipeline_id, o.status_id FROM kpi.lead_status_last o
              WHERE o.status_id <> ALL ('{142,143}'::bigint[])) s ON s.lead_id = a.id
  CROSS JOIN LATERAL (
    SELECT CASE
      WHEN s.lead_id IS NOT NULL AND s.last_at < p_now AND s.pipeline_id = a.pipeline_id AND s.status_id = a.status_id THEN s.last_at
      -- a scalar subquery (an index probe for the few rows that get here; EXISTS would be hashed over the table)
      WHEN s.lead_id IS NULL AND (SELECT x.lead_id FROM kpi.lead_status_last x WHERE x.lead_id = a.id) IS NULL THEN a.created_at
      ELSE coalesce(
        (SELECT e.created_at FROM amo.events e
          WHERE e.type = 'lead_status_changed' AND e.entity_id = a.id AND e.created_at < p_now
            AND e.after_pipeline_id = a.pipeline_id AND e.after_status_id = a.status_id
          ORDER BY e.created_at DESC, e.id DESC LIMIT 1),
        a.created_at)
      END AS entered_at
  ) en
  WHERE coalesce(a.created_at, '-infinity') < p_now
    -- p_min_days or more calendar days <=> entered before the start of day (today - p_min_days + 1): one
    -- comparison with a bound computed once, not two zone conversions per active lead (measured at 1M leads).
    AND en.entered_at < (SELECT ((p_now AT TIME ZONE p_tz)::date - p_min_days + 1)::timestamp AT TIME ZONE p_tz)
$$;

-- KPI queries are short index-driven lookups: JIT compilation costs more than it saves (measured: a 30 ms
-- query took a second with JIT), and so does starting parallel workers (~10 ms each on a busy 2-core box).
-- Best effort: needs ownership of the database.
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
  EXECUTE format('ALTER DATABASE %I SET max_parallel_workers_per_gather = 0', current_database());
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'jit left as configured (no privilege to alter the database)';
END
$$;

-- Leads active at T by their status history (created before T, not deleted, stage at T neither closed nor
-- unsorted), at their current price. Leads without status events at or after T keep their current stage,
-- which is the fast path for T = now.
CREATE FUNCTION kpi.in_progress_leads(p_t timestamptz, p_pipeline bigint DEFAULT NULL)
RETURNS TABLE (lead_id bigint, manager_id bigint, price bigint, pipeline_id bigint, status_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH later AS (
    SELECT DISTINCT e.entity_id AS id FROM amo.events e
     WHERE e.type = 'lead_status_changed' AND e.created_at >= p_t
  )
  SELECT l.id, l.responsible_user_id, l.price, l.pipeline_id, l.status_id
  FROM amo.leads l
  WHERE l.deleted_at IS NULL AND l.status_id <> ALL ('{142,143}'::bigint[])
    AND coalesce(l.created_at, '-infinity') < p_t
    AND NOT EXISTS (SELECT 1 FROM amo.statuses us WHERE us.pipeline_id = l.pipeline_id AND us.id = l.status_id AND us.type = 1)
    AND (p_pipeline IS NULL OR l.pipeline_id = p_pipeline)
    AND NOT EXISTS (SELECT 1 FROM later WHERE later.id = l.id)
  UNION ALL
  SELECT l.id, l.responsible_user_id, l.price, s.pipeline_id, s.status_id
  FROM later
  JOIN amo.leads l ON l.id = later.id AND l.deleted_at IS NULL AND coalesce(l.created_at, '-infinity') < p_t
  CROSS JOIN LATERAL kpi.lead_stage_at(l.id, p_t) s
  WHERE s.status_id <> ALL ('{142,143}'::bigint[])
    AND NOT EXISTS (SELECT 1 FROM amo.statuses us WHERE us.pipeline_id = s.pipeline_id AND us.id = s.status_id AND us.type = 1)
    AND (p_pipeline IS NULL OR s.pipeline_id = p_pipeline)
$$;

-- Won and in-progress figures per responsible user (manager_id 0 for unassigned leads); each side is
-- aggregated on its own (a few hundred rows) before the two are joined.
CREATE FUNCTION kpi.lead_figures(p_from timestamptz, p_to timestamptz, p_pipeline bigint DEFAULT NULL, p_with_in_progress boolean DEFAULT true)
RETURNS TABLE (manager_id bigint, won_amount bigint, won_count int, in_progress_amount bigint, in_progress_count int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(w.manager_id, i.manager_id),
         coalesce(w.amount, 0)::bigint, coalesce(w.n, 0)::int,
         coalesce(i.amount, 0)::bigint, coalesce(i.n, 0)::int
  FROM (SELECT coalesce(x.manager_id, 0) AS manager_id, sum(x.price) AS amount, count(*) AS n
          FROM kpi.won_leads(p_from, p_to, p_pipeline) x GROUP BY 1) w
  FULL JOIN (SELECT coalesce(y.manager_id, 0) AS manager_id, sum(y.price) AS amount, count(*) AS n
               FROM kpi.in_progress_leads(p_to, p_pipeline) y WHERE p_with_in_progress GROUP BY 1) i
    ON i.manager_id = w.manager_id
$$;

-- Task figures as of instant T over the current task list: open tasks on active leads (task's responsible
-- user), those overdue at T, and active leads with no open task (lead's responsible user). One pass: every
-- active lead joined to its open tasks; a lead with none is a lead without tasks.
CREATE FUNCTION kpi.manager_tasks_at(p_t timestamptz, p_pipeline bigint DEFAULT NULL)
RETURNS TABLE (manager_id bigint, open_tasks int, overdue_tasks int, leads_without_tasks int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT x.manager_id, sum(x.open)::int, sum(x.overdue)::int, sum(x.bare)::int
  FROM (
    SELECT CASE WHEN t.entity_id IS NULL THEN a.responsible_user_id ELSE t.responsible_user_id END AS manager_id,
           (t.entity_id IS NOT NULL)::int AS open,
           coalesce(t.complete_till < p_t, false)::int AS overdue,
           (t.entity_id IS NULL)::int AS bare
      FROM kpi.active_leads a
      LEFT JOIN amo.tasks t ON t.entity_id = a.id AND t.entity_type = 'leads' AND NOT t.is_completed
     WHERE p_pipeline IS NULL OR a.pipeline_id = p_pipeline
  ) x
  WHERE x.manager_id IS NOT NULL
  GROUP BY x.manager_id
$$;

-- For the Grafana alert rules: task figures as of the database's now().
CREATE VIEW kpi.manager_tasks_now AS
SELECT t.manager_id::bigint AS manager_id, u.name::text AS manager_name,
       t.open_tasks::int AS open_tasks, t.overdue_tasks::int AS overdue_tasks,
       t.leads_without_tasks::int AS leads_without_tasks
FROM kpi.manager_tasks_at(now()) t
LEFT JOIN amo.users u ON u.id = t.manager_id;

-- Call notes (leads and contacts) in [p_from, p_to), each call once: by its uniq (the sync extracts
-- params.uniq and params.duration, numeric strings included, into columns) when present, else by note. Of
-- the copies of one call the earliest (by time, entity type, id) counts, attributed to its responsible user
-- and day, so the answer for a range does not depend on where the range starts or ends.
CREATE INDEX IF NOT EXISTS notes_call_uniq ON amo.notes (uniq, created_at, entity_type, id)
  WHERE note_type IN ('call_in', 'call_out') AND uniq <> '';
CREATE FUNCTION kpi.calls(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (manager_id bigint, created_at timestamptz, seconds numeric)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT n.responsible_user_id, n.created_at, n.duration_seconds::numeric
    FROM amo.notes n
   WHERE n.note_type IN ('call_in', 'call_out') AND n.created_at >= p_from AND n.created_at < p_to
     AND (coalesce(n.uniq, '') = '' OR NOT EXISTS (
       SELECT 1 FROM amo.notes m
        WHERE m.uniq = n.uniq AND m.uniq <> '' AND m.note_type IN ('call_in', 'call_out')  -- the partial index's terms
          AND (m.created_at, m.entity_type, m.id) < (n.created_at, n.entity_type, n.id)))
$$;

-- Activity per manager per calendar day in p_tz for days [p_from_day, p_to_day], read from the calls and
-- messages themselves (any zone).
CREATE FUNCTION kpi.activity_from_history(p_from_day date, p_to_day date, p_tz text)
RETURNS TABLE (day date, manager_id bigint, call_seconds numeric, messages int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH bounds AS (
    SELECT (p_from_day::timestamp AT TIME ZONE p_tz) AS t0, ((p_to_day + 1)::timestamp AT TIME ZONE p_tz) AS t1
  ), acts AS (
    SELECT c.manager_id, (c.created_at AT TIME ZONE p_tz)::date AS day, c.seconds, 0 AS messages
      FROM bounds, kpi.calls(bounds.t0, bounds.t1) c
     WHERE c.manager_id IS NOT NULL
    UNION ALL
    SELECT e.created_by, (e.created_at AT TIME ZONE p_tz)::date, 0, 1
      FROM bounds, amo.events e
     WHERE e.type = 'outgoing_chat_message' AND e.created_at >= bounds.t0 AND e.created_at < bounds.t1
       AND e.created_by <> 0 AND EXISTS (SELECT 1 FROM amo.users u WHERE u.id = e.created_by)
  )
  SELECT a.day, a.manager_id, sum(a.seconds), sum(a.messages)::int
  FROM acts a
  GROUP BY a.day, a.manager_id
$$;

-- The same per day, kept current by statement-level triggers on amo.notes and amo.events, for the one zone
-- the board uses (kpi.use_activity_zone): a month is ~6 000 cells instead of ~100 000 calls and messages
-- bucketed at every request (measured 70-90 ms at 1M leads). Calls of the touched days are recomputed
-- (a new earliest copy moves a call); messages are counted up and down. Messages are kept for any author
-- but 0; whether the author is a user is decided when read (users arrive with their own sync).
CREATE TABLE kpi.activity_zone (zone text PRIMARY KEY);
CREATE TABLE kpi.activity_calls (
  day         date NOT NULL,
  manager_id  bigint NOT NULL,
  seconds     numeric NOT NULL,
  PRIMARY KEY (day, manager_id)
);
CREATE TABLE kpi.activity_messages (
  day         date NOT NULL,
  manager_id  bigint NOT NULL,
  messages    integer NOT NULL,
  PRIMARY KEY (day, manager_id)
);

-- Recomputes the call cells of the given days (all when null) in the kept zone.
CREATE FUNCTION kpi.refresh_activity_calls(p_days date[] DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM kpi.activity_calls WHERE p_days IS NULL OR day = ANY (p_days);
  INSERT INTO kpi.activity_calls (day, manager_id, seconds)
  SELECT (c.created_at AT TIME ZONE z.zone)::date, c.manager_id, sum(c.seconds)
    FROM kpi.activity_zone z
    CROSS JOIN LATERAL (
      SELECT d.day::timestamp AT TIME ZONE z.zone AS t0, (d.day + 1)::timestamp AT TIME ZONE z.zone AS t1
        FROM unnest(p_days) d(day)
      UNION ALL
      SELECT '-infinity', 'infinity' WHERE p_days IS NULL
    ) r
    CROSS JOIN LATERAL kpi.calls(r.t0, r.t1) c
   WHERE c.manager_id IS NOT NULL
   GROUP BY 1, 2;
$$;

-- Makes p_tz the kept zone, rebuilding both tables when it changes (once; writers wait meanwhile).
CREATE FUNCTION kpi.use_activity_zone(p_tz text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM kpi.activity_zone WHERE zone = p_tz) THEN
    RETURN;
  END IF;
  LOCK TABLE kpi.activity_zone IN EXCLUSIVE MODE;
  LOCK TABLE amo.notes, amo.events IN SHARE MODE;
  IF EXISTS (SELECT 1 FROM kpi.activity_zone WHERE zone = p_tz) THEN
    RETURN;  -- another session did it while this one waited
  END IF;
  DELETE FROM kpi.activity_zone;
  INSERT INTO kpi.activity_zone (zone) VALUES (p_tz);
  PERFORM kpi.refresh_activity_calls(NULL);
  DELETE FROM kpi.activity_messages;
  INSERT INTO kpi.activity_messages (day, manager_id, messages)
  SELECT (e.created_at AT TIME ZONE p_tz)::date, e.created_by, count(*)
    FROM amo.events e
   WHERE e.type = 'outgoing_chat_message' AND e.created_by <> 0
   GROUP BY 1, 2;
END
$$;

CREATE FUNCTION kpi.track_call_notes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  z text;
  at timestamptz[] := '{}';
  uniqs text[] := '{}';
  days date[];
BEGIN
  SELECT a.zone INTO z FROM kpi.activity_zone a;
  IF z IS NULL THEN
    RETURN NULL;
  END IF;
  -- Touched call notes; an upsert that rewrites a note with identical values touches nothing.
  IF TG_OP = 'INSERT' THEN
    SELECT coalesce(array_agg(n.created_at), '{}'), coalesce(array_agg(n.uniq) FILTER (WHERE n.uniq <> ''), '{}') INTO at, uniqs
      FROM new_rows n WHERE n.note_type IN ('call_in', 'call_out');
  ELSIF TG_OP = 'DELETE' THEN
    SELECT coalesce(array_agg(o.created_at), '{}'), coalesce(array_agg(o.uniq) FILTER (WHERE o.uniq <> ''), '{}') INTO at, uniqs
      FROM old_rows o WHERE o.note_type IN ('call_in', 'call_out');
  ELSE
    SELECT coalesce(array_agg(x.created_at), '{}'), coalesce(array_agg(x.uniq) FILTER (WHERE x.uniq <> ''), '{}') INTO at, uniqs
      FROM (
        SELECT o.created_at, o.uniq FROM old_rows o
         WHERE o.note_type IN ('call_in', 'call_out')
           AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.entity_type = o.entity_type AND n.id = o.id AND (n.*) IS NOT DISTINCT FROM (o.*))
        UNION ALL
        SELECT n.created_at, n.uniq FROM new_rows n
         WHERE n.note_type IN ('call_in', 'call_out')
           AND NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.entity_type = n.entity_type AND o.id = n.id AND (o.*) IS NOT DISTINCT FROM (n.*))
      ) x;
  END IF;
  -- Their days, and the days of every remaining copy of their calls (the earliest copy may have moved).
  SELECT array_agg(DISTINCT d) INTO days FROM (
    SELECT (t AT TIME ZONE z)::date AS d FROM unnest(at) t
    UNION ALL
    SELECT (m.created_at AT TIME ZONE z)::date FROM amo.notes m
     WHERE m.uniq = ANY (uniqs) AND m.note_type IN ('call_in', 'call_out') AND m.uniq <> ''
  ) x;
  IF days IS NOT NULL THEN
    PERFORM kpi.refresh_activity_calls(days);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER notes_activity_ins AFTER INSERT ON amo.notes REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_call_notes();
CREATE TRIGGER notes_activity_upd AFTER UPDATE ON amo.notes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_call_notes();
CREATE TRIGGER notes_activity_del AFTER DELETE ON amo.notes REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_call_notes();

CREATE FUNCTION kpi.track_message_events() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  z text;
BEGIN
  SELECT a.zone INTO z FROM kpi.activity_zone a;
  IF z IS NULL THEN
    RETURN NULL;
  END IF;
  -- New rows first, then old ones subtracted, so an identical rewrite never drops a cell on the way.
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO kpi.activity_messages AS m (day, manager_id, messages)
    SELECT (n.created_at AT TIME ZONE z)::date, n.created_by, count(*)
      FROM new_rows n WHERE n.type = 'outgoing_chat_message' AND n.created_by <> 0
     GROUP BY 1, 2
    ON CONFLICT (day, manager_id) DO UPDATE SET messages = m.messages + EXCLUDED.messages;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    UPDATE kpi.activity_messages m SET messages = m.messages - o.n
      FROM (SELECT (x.created_at AT TIME ZONE z)::date AS day, x.created_by, count(*) AS n
              FROM old_rows x WHERE x.type = 'outgoing_chat_message' AND x.created_by <> 0 GROUP BY 1, 2) o
     WHERE m.day = o.day AND m.manager_id = o.created_by;
    DELETE FROM kpi.activity_messages m
     USING (SELECT DISTINCT (x.created_at AT TIME ZONE z)::date AS day, x.created_by
              FROM old_rows x WHERE x.type = 'outgoing_chat_message' AND x.created_by <> 0) o
     WHERE m.day = o.day AND m.manager_id = o.created_by AND m.messages = 0;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER events_activity_ins AFTER INSERT ON amo.events REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_message_events();
CREATE TRIGGER events_activity_upd AFTER UPDATE ON amo.events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_message_events();
CREATE TRIGGER events_activity_del AFTER DELETE ON amo.events REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_message_events();

-- TRUNCATE of either source forgets the kept zone: the next read rebuilds (or reads the history).
CREATE FUNCTION kpi.clear_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE kpi.activity_zone, kpi.activity_calls, kpi.activity_messages;
  RETURN NULL;
END
$$;
CREATE TRIGGER notes_activity_trunc AFTER TRUNCATE ON amo.notes FOR EACH STATEMENT EXECUTE FUNCTION kpi.clear_activity();
CREATE TRIGGER events_activity_trunc AFTER TRUNCATE ON amo.events FOR EACH STATEMENT EXECUTE FUNCTION kpi.clear_activity();

-- Activity per manager per calendar day in p_tz for days [p_from_day, p_to_day]: from the kept per-day
-- cells when p_tz is their zone, else from the history.
CREATE FUNCTION kpi.activity(p_from_day date, p_to_day date, p_tz text)
RETURNS TABLE (day date, manager_id bigint, call_seconds numeric, messages int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(c.day, m.day), coalesce(c.manager_id, m.manager_id), coalesce(c.seconds, 0), coalesce(m.messages, 0)
    FROM (SELECT * FROM kpi.activity_calls x WHERE x.day BETWEEN p_from_day AND p_to_day) c
    FULL JOIN (SELECT y.day, y.manager_id, y.messages FROM kpi.activity_messages y
                WHERE y.day BETWEEN p_from_day AND p_to_day AND EXISTS (SELECT 1 FROM amo.users u WHERE u.id = y.manager_id)) m
      ON m.day = c.day AND m.manager_id = c.manager_id
   WHERE EXISTS (SELECT 1 FROM kpi.activity_zone z WHERE z.zone = p_tz)
  UNION ALL
  SELECT h.* FROM kpi.activity_from_history(p_from_day, p_to_day, p_tz) h
   WHERE NOT EXISTS (SELECT 1 FROM kpi.activity_zone z WHERE z.zone = p_tz)
$$;


-- Daily snapshots: the raw per-manager figures of a day as they stood when frozen. pipeline_id 0 = all
-- pipelines; manager_id 0 = leads without a responsible user. Task columns are null when the day was
-- reconstructed after the fact.
CREATE TABLE kpi.snapshot_days (
  day          date NOT NULL,
  pipeline_id  bigint NOT NULL DEFAULT 0,
  source       text NOT NULL CHECK (source IN ('snapshot', 'reconstructed')),
  as_of        timestamptz NOT NULL,
  taken_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (day, pipeline_id)
);

CREATE TABLE kpi.snapshot_managers (
  day                  date NOT NULL,
  pipeline_id          bigint NOT NULL DEFAULT 0,
  manager_id           bigint NOT NULL,
  won_amount           bigint NOT NULL DEFAULT 0,
  won_count            integer NOT NULL DEFAULT 0,
  in_progress_amount   bigint NOT NULL DEFAULT 0,
  in_progress_count    integer NOT NULL DEFAULT 0,
  open_tasks           integer,
  overdue_tasks        integer,
  leads_without_tasks  integer,
  PRIMARY KEY (day, pipeline_id, manager_id),
  FOREIGN KEY (day, pipeline_id) REFERENCES kpi.snapshot_days (day, pipeline_id) ON DELETE CASCADE
);

-- Down Migration
DROP TRIGGER IF EXISTS events_status_last_ins ON amo.events;
DROP TRIGGER IF EXISTS events_status_last_upd ON amo.events;
DROP TRIGGER IF EXISTS events_status_last_del ON amo.events;
DROP TRIGGER IF EXISTS events_status_last_trunc ON amo.events;
DROP TRIGGER IF EXISTS events_activity_ins ON amo.events;
DROP TRIGGER IF EXISTS events_activity_upd ON amo.events;
DROP TRIGGER IF EXISTS events_activity_del ON amo.events;
DROP TRIGGER IF EXISTS events_activity_trunc ON amo.events;
DROP TRIGGER IF EXISTS notes_activity_ins ON amo.notes;
DROP TRIGGER IF EXISTS notes_activity_upd ON amo.notes;
DROP TRIGGER IF EXISTS notes_activity_del ON amo.notes;
DROP TRIGGER IF EXISTS notes_activity_trunc ON amo.notes;
DROP SCHEMA kpi CASCADE;
DROP INDEX IF EXISTS amo.leads_won_closed_at;
DROP INDEX IF EXISTS amo.leads_closed_at;
DROP INDEX IF EXISTS amo.leads_cover;
DROP INDEX IF EXISTS amo.tasks_open_cover;
DROP INDEX IF EXISTS amo.notes_calls;
DROP INDEX IF EXISTS amo.notes_call_uniq;
DROP INDEX IF EXISTS amo.events_status_into;
DROP INDEX IF EXISTS amo.leads_open;
DROP INDEX IF EXISTS amo.events_by_author;
