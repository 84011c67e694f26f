-- Up Migration
-- Win time ignores pipeline moves of won deals. A won lead moved to another pipeline while staying won is one
-- lead_status_changed event (A,142) -> (B,142): its status did not change, so it is no "transition into 142"
-- (KPI.md, Win time). Until now every event whose value_after is 142 counted as a win, so such a deal was
-- counted in the month it was won and again in the month of the move. A transition into 142 is now an event into
-- 142 whose own value_before is another status (or none): the status history's status before an event is that
-- event's value_before, also for a lead's first event, so a lead whose history starts with (A,142) -> (B,142)
-- was already won before it: with no transition into 142 its win time is closed_at. Judging each event by its own value_before keeps the summary's
-- won_at a per-event maximum, so the statement-level trigger still folds new events in with greatest().
--
-- Replaced here (the last definitions of each, all from 0003): kpi.won_leads_by_history (past days, snapshots),
-- kpi.rebuild_lead_status_last and kpi.track_status_events (the per-lead summary and its triggers, which keep
-- pointing at the replaced function), kpi.won_leads (the live board: a summary row in 142 without any transition
-- into 142 now takes closed_at, as the history does, instead of dropping out). The summary rows and the stored
-- reconstructed days computed with the old definition are corrected at the end. The stuck-deal entry
-- (kpi.open_leads_entered, 0010) is unchanged: there a move (A,s) -> (B,s2) does enter a new stage.

-- The one definition of a transition into 142. A single expression without a subquery: the planner inlines it,
-- so `e.after_status_id = 142` still drives the events_status_into index.
CREATE FUNCTION kpi.enters_won(p_before_status bigint, p_after_status bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_after_status = 142 AND p_before_status IS DISTINCT FROM 142
$$;

-- Leads won at T whose win time is in [p_from, p_to): status at p_to is 142 and the last transition into 142
-- before p_to (else closed_at) is inside the period. Deleted leads never count. Reads every candidate's history.
CREATE OR REPLACE FUNCTION kpi.won_leads_by_history(p_from timestamptz, p_to timestamptz, p_pipeline bigint DEFAULT NULL)
RETURNS TABLE (lead_id bigint, manager_id bigint, price bigint, pipeline_id bigint, won_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH cand AS (
    SELECT e.entity_id AS id FROM amo.events e
     WHERE e.type = 'lead_status_changed' AND kpi.enters_won(e.before_status_id, e.after_status_id)
       AND e.created_at >= p_from AND e.created_at < p_to
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
        WHERE e.type = 'lead_status_changed' AND e.entity_id = l.id AND kpi.enters_won(e.before_status_id, e.after_status_id)
          AND e.created_at < p_to),
      l.closed_at) AS won_at
  ) w
  WHERE s.status_id = 142 AND w.won_at >= p_from AND w.won_at < p_to
    AND (p_pipeline IS NULL OR s.pipeline_id = p_pipeline)
$$;

COMMENT ON COLUMN kpi.lead_status_last.won_at IS
  'the last transition into 142 (kpi.enters_won: from another status), any time; null when none';

-- Recomputes the summary of the given leads (all when null) from amo.events.
CREATE OR REPLACE FUNCTION kpi.rebuild_lead_status_last(p_leads bigint[] DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM kpi.lead_status_last WHERE p_leads IS NULL OR lead_id = ANY (p_leads);
  INSERT INTO kpi.lead_status_last (lead_id, last_at, last_id, pipeline_id, status_id, won_at)
  SELECT DISTINCT ON (e.entity_id) e.entity_id, e.created_at, e.id, e.after_pipeline_id, e.after_status_id,
         max(e.created_at) FILTER (WHERE kpi.enters_won(e.before_status_id, e.after_status_id)) OVER (PARTITION BY e.entity_id)
    FROM amo.events e
   WHERE e.type = 'lead_status_changed' AND e.entity_id IS NOT NULL AND (p_leads IS NULL OR e.entity_id = ANY (p_leads))
   ORDER BY e.entity_id, e.created_at DESC, e.id DESC;
$$;

-- The statement-level triggers of 0003 (transition tables, one upsert per statement) keep calling this function.
CREATE OR REPLACE FUNCTION kpi.track_status_events() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched bigint[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- Events arrive in any order (overlapping sync windows): keep the latest by (time, id). One row per lead
    -- (ON CONFLICT may not touch a row twice in a statement): its latest new event and its latest new win.
    INSERT INTO kpi.lead_status_last AS s (lead_id, last_at, last_id, pipeline_id, status_id, won_at)
    SELECT DISTINCT ON (n.entity_id) n.entity_id, n.created_at, n.id, n.after_pipeline_id, n.after_status_id,
           max(n.created_at) FILTER (WHERE kpi.enters_won(n.before_status_id, n.after_status_id)) OVER (PARTITION BY n.entity_id)
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

-- Wins: when no status event is at or after p_to (the live board), the summary answers directly; otherwise
-- (a reconstructed past day) every candidate's history is read. From the summary, a lead in 142 has its win time
-- in won_at, or, with no transition into 142 at all (only moves between pipelines that stayed won), its
-- closed_at: that second branch reads the won_at IS NULL end of the summary's lead_status_last_won index.
CREATE OR REPLACE FUNCTION kpi.won_leads(p_from timestamptz, p_to timestamptz, p_pipeline bigint DEFAULT NULL)
RETURNS TABLE (lead_id bigint, manager_id bigint, price bigint, pipeline_id bigint, won_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT l.id, l.responsible_user_id, l.price, s.pipeline_id, s.won_at
    FROM kpi.lead_status_last s
    JOIN amo.leads l ON l.id = s.lead_id AND l.deleted_at IS NULL AND coalesce(l.created_at, '-infinity') < p_to
   WHERE s.status_id = 142 AND s.won_at >= p_from AND s.won_at < p_to
     AND (p_pipeline IS NULL OR s.pipeline_id = p_pipeline)
     AND NOT EXISTS (SELECT 1 FROM amo.events e WHERE e.type = 'lead_status_changed' AND e.created_at >= p_to)
  UNION ALL
  SELECT l.id, l.responsible_user_id, l.price, s.pipeline_id, l.closed_at
    FROM kpi.lead_status_last s
    JOIN amo.leads l ON l.id = s.lead_id AND l.deleted_at IS NULL AND coalesce(l.created_at, '-infinity') < p_to
   WHERE s.status_id = 142 AND s.won_at IS NULL AND l.closed_at >= p_from AND l.closed_at < p_to
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

-- Existing databases: the summary rows whose won_at the new definition changes are exactly those of leads with an
-- event (X,142) -> (Y,142) (for every other lead both definitions pick the same events). They are recomputed;
-- the rest of the summary was kept equal to a rebuild by the triggers. (The guard: a null list would rebuild all.)
SELECT kpi.rebuild_lead_status_last(x.leads)
  FROM (SELECT array_agg(DISTINCT e.entity_id) AS leads FROM amo.events e
         WHERE e.type = 'lead_status_changed' AND e.after_status_id = 142 AND e.before_status_id = 142
           AND e.entity_id IS NOT NULL) x
 WHERE x.leads IS NOT NULL;

-- Stored reconstructed days (kpi.snapshot_days, source 'reconstructed') are the history's answer stored ahead of
-- time, computed with the old definition. The two definitions differ only as of instants after some event
-- (X,142) -> (Y,142), so the reconstructed days as of a later instant go (none when there is no such event): the
-- API recomputes them from the history, and the next back-fill stores them again. Days frozen as 'snapshot' are
-- never rewritten, and the down migration leaves the stored days alone.
DELETE FROM kpi.snapshot_days
 WHERE source = 'reconstructed'
   AND as_of > (SELECT min(e.created_at) FROM amo.events e
                 WHERE e.type = 'lead_status_changed' AND e.after_status_id = 142 AND e.before_status_id = 142);

-- Down Migration
-- Back to 0003's definitions: every event into 142 is a win again.
CREATE OR REPLACE FUNCTION kpi.won_leads_by_history(p_from timestamptz, p_to timestamptz, p_pipeline bigint DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION kpi.rebuild_lead_status_last(p_leads bigint[] DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM kpi.lead_status_last WHERE p_leads IS NULL OR lead_id = ANY (p_leads);
  INSERT INTO kpi.lead_status_last (lead_id, last_at, last_id, pipeline_id, status_id, won_at)
  SELECT DISTINCT ON (e.entity_id) e.entity_id, e.created_at, e.id, e.after_pipeline_id, e.after_status_id,
         max(e.created_at) FILTER (WHERE e.after_status_id = 142) OVER (PARTITION BY e.entity_id)
    FROM amo.events e
   WHERE e.type = 'lead_status_changed' AND e.entity_id IS NOT NULL AND (p_leads IS NULL OR e.entity_id = ANY (p_leads))
   ORDER BY e.entity_id, e.created_at DESC, e.id DESC;
$$;

CREATE OR REPLACE FUNCTION kpi.track_status_events() RETURNS trigger
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

CREATE OR REPLACE FUNCTION kpi.won_leads(p_from timestamptz, p_to timestamptz, p_pipeline bigint DEFAULT NULL)
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

COMMENT ON COLUMN kpi.lead_status_last.won_at IS NULL;

SELECT kpi.rebuild_lead_status_last(x.leads)
  FROM (SELECT array_agg(DISTINCT e.entity_id) AS leads FROM amo.events e
         WHERE e.type = 'lead_status_changed' AND e.after_status_id = 142 AND e.before_status_id = 142
           AND e.entity_id IS NOT NULL) x
 WHERE x.leads IS NOT NULL;

DROP FUNCTION IF EXISTS kpi.enters_won(bigint, bigint);
