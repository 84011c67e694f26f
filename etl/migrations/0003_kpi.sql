-- Up Migration
-- The one home of the KPI definitions (../shared/KPI.md): the API, the daily snapshots and the Grafana
-- alert rules all read these functions and views. Every instant parameter is exclusive: an as-of
-- instant T sees events strictly before T, so an event at exactly D+1 00:00 belongs to day D+1.
CREATE SCHEMA IF NOT EXISTS kpi;

-- Indexes the KPI queries need on the amoCRM copy (measured with `npm run bench -- kpi`).
CREATE INDEX IF NOT EXISTS events_status_into ON amo.events (after_status_id, created_at) WHERE type = 'lead_status_changed';
CREATE INDEX IF NOT EXISTS leads_closed_at ON amo.leads (closed_at) WHERE deleted_at IS NULL;
-- Covering (index-only) lookups for the live board: won leads without status events, open leads, lead
-- attributes by id, open tasks on leads, call notes.
CREATE INDEX IF NOT EXISTS leads_won_closed_at ON amo.leads (closed_at) INCLUDE (id, responsible_user_id, price, pipeline_id, created_at)
  WHERE deleted_at IS NULL AND status_id = 142;
CREATE INDEX IF NOT EXISTS leads_open ON amo.leads (responsible_user_id) INCLUDE (id, pipeline_id, status_id, price, created_at)
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

CREATE FUNCTION kpi.track_status_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.type = 'lead_status_changed' AND NEW.entity_id IS NOT NULL THEN
    -- Events arrive in any order (overlapping sync windows): keep the latest by (time, id).
    INSERT INTO kpi.lead_status_last AS s (lead_id, last_at, last_id, pipeline_id, status_id, won_at)
    VALUES (NEW.entity_id, NEW.created_at, NEW.id, NEW.after_pipeline_id, NEW.after_status_id,
            CASE WHEN NEW.after_status_id = 142 THEN NEW.created_at END)
    ON CONFLICT (lead_id) DO UPDATE SET
      last_at     = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (s.last_at, s.last_id) THEN EXCLUDED.last_at ELSE s.last_at END,
      last_id     = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (s.last_at, s.last_id) THEN EXCLUDED.last_id ELSE s.last_id END,
      pipeline_id = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (s.last_at, s.last_id) THEN EXCLUDED.pipeline_id ELSE s.pipeline_id END,
      status_id   = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (s.last_at, s.last_id) THEN EXCLUDED.status_id ELSE s.status_id END,
      won_at      = greatest(s.won_at, EXCLUDED.won_at);
  ELSIF TG_OP IN ('UPDATE', 'DELETE') AND OLD.type = 'lead_status_changed' AND OLD.entity_id IS NOT NULL THEN
    PERFORM kpi.rebuild_lead_status_last(ARRAY[OLD.entity_id]);
    IF TG_OP = 'UPDATE' AND NEW.entity_id IS DISTINCT FROM OLD.entity_id AND NEW.entity_id IS NOT NULL THEN
      PERFORM kpi.rebuild_lead_status_last(ARRAY[NEW.entity_id]);
    END IF;
  ELSIF TG_OP = 'UPDATE' AND NEW.type = 'lead_status_changed' AND NEW.entity_id IS NOT NULL THEN
    PERFORM kpi.rebuild_lead_status_last(ARRAY[NEW.entity_id]);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER events_status_last_ins AFTER INSERT ON amo.events
  FOR EACH ROW WHEN (NEW.type = 'lead_status_changed') EXECUTE FUNCTION kpi.track_status_event();
-- An upsert that rewrites an event with identical values changes nothing, so only real changes recompute.
CREATE TRIGGER events_status_last_upd AFTER UPDATE ON amo.events
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.* AND (OLD.type = 'lead_status_changed' OR NEW.type = 'lead_status_changed'))
  EXECUTE FUNCTION kpi.track_status_event();
CREATE TRIGGER events_status_last_del AFTER DELETE ON amo.events
  FOR EACH ROW WHEN (OLD.type = 'lead_status_changed') EXECUTE FUNCTION kpi.track_status_event();
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

-- Stage entry of every active lead (current state): the last status event into its current stage before
-- p_now (the summary's last event when it led there, else the history), else its creation; days in status
-- are calendar days in p_tz.
CREATE FUNCTION kpi.stale_deals(p_now timestamptz, p_tz text)
RETURNS TABLE (lead_id bigint, lead_name text, manager_id bigint, pipeline_id bigint, status_id bigint,
               price bigint, entered_at timestamptz, days_in_status int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT a.id, a.name, a.responsible_user_id, a.pipeline_id, a.status_id, a.price, en.entered_at,
         ((p_now AT TIME ZONE p_tz)::date - (en.entered_at AT TIME ZONE p_tz)::date)::int
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
-- params.uniq and params.duration, numeric strings included, into columns) when present, else by note. A
-- copy of the same call is looked for a day either side so that a pair straddling the range edge is still
-- one call; the earliest copy wins, attributed to its responsible user and day.
CREATE FUNCTION kpi.calls(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (manager_id bigint, created_at timestamptz, seconds numeric)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT n.responsible_user_id, n.created_at, n.duration_seconds::numeric
    FROM amo.notes n
   WHERE n.note_type IN ('call_in', 'call_out') AND coalesce(n.uniq, '') = ''
     AND n.created_at >= p_from AND n.created_at < p_to
  UNION ALL
  SELECT c.responsible_user_id, c.created_at, c.duration_seconds::numeric FROM (
    SELECT DISTINCT ON (n.uniq) n.responsible_user_id, n.created_at, n.duration_seconds
      FROM amo.notes n
     WHERE n.note_type IN ('call_in', 'call_out') AND n.uniq <> ''
       AND n.created_at >= p_from - interval '1 day' AND n.created_at < p_to + interval '1 day'
     ORDER BY n.uniq, n.created_at, n.entity_type, n.id
  ) c
  WHERE c.created_at >= p_from AND c.created_at < p_to
$$;

-- Activity per manager per calendar day in p_tz for days [p_from_day, p_to_day].
CREATE FUNCTION kpi.activity(p_from_day date, p_to_day date, p_tz text)
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
DROP SCHEMA kpi CASCADE;
DROP INDEX IF EXISTS amo.leads_won_closed_at;
DROP INDEX IF EXISTS amo.leads_closed_at;
DROP INDEX IF EXISTS amo.leads_cover;
DROP INDEX IF EXISTS amo.tasks_open_cover;
DROP INDEX IF EXISTS amo.notes_calls;
DROP INDEX IF EXISTS amo.events_status_into;
DROP INDEX IF EXISTS amo.leads_open;
DROP INDEX IF EXISTS amo.events_by_author;
