-- Up Migration
-- The live board's "won" and the department's "in progress" read tables kept per lead instead of finding the
-- leads again on every call. Measured at 1M leads (430 000 won leads, 9 300 of them won this month): the month's
-- won figures probed the leads' covering index once per won lead and the summary once more for the leads without
-- one (27 000 buffer reads each): 18 ms; from kpi.won_deals 1.7 ms. In progress read every active lead through
-- kpi.active_leads (the open-leads index and the stages' anti-join): 15.7 ms; from kpi.open_deals, which holds
-- exactly those leads (migration 0010), 5.8 ms. The definitions are unchanged; tests hold them equal to 0012's
-- and 0003's after every kind of write.

-- The one definition of "won now" with its win time, as 0012's kpi.won_leads reads it when no status event lies
-- after the period: a status summary in 142 (win time: the last transition into 142, else closed_at), or no
-- summary at all and the lead row in 142 (closed_at). Deleted leads are never won. Callers that want some leads
-- filter on lead_id outside: the planner pushes that into both branches (an index probe per lead; the first
-- branch names the summary's lead_id, so it probes the summary and reads the lead only when it is won).
CREATE FUNCTION kpi.won_leads_now()
RETURNS TABLE (lead_id bigint, manager_id bigint, price bigint, pipeline_id bigint, won_at timestamptz, created_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT s.lead_id, l.responsible_user_id, l.price, s.pipeline_id, coalesce(s.won_at, l.closed_at), l.created_at
    FROM kpi.lead_status_last s
    JOIN amo.leads l ON l.id = s.lead_id AND l.deleted_at IS NULL
   WHERE s.status_id = 142
  UNION ALL
  SELECT l.id, l.responsible_user_id, l.price, l.pipeline_id, l.closed_at, l.created_at
    FROM amo.leads l
   WHERE l.deleted_at IS NULL AND l.status_id = 142
     AND NOT EXISTS (SELECT 1 FROM kpi.lead_status_last s WHERE s.lead_id = l.id)
$$;

CREATE TABLE kpi.won_deals (
  lead_id     bigint PRIMARY KEY,
  manager_id  bigint,
  price       bigint NOT NULL,
  pipeline_id bigint,
  won_at      timestamptz,
  created_at  timestamptz
);
-- A month's wins are one range of this index, read without the table.
CREATE INDEX won_deals_won_at ON kpi.won_deals (won_at) INCLUDE (manager_id, pipeline_id, price, created_at);

-- Run for every statement the sync writes (a batch of up to 2 500 rows). Its plans are kept for the session
-- (force_generic_plan: the per-lead statement has no "all leads or some" OR, so the generic plan probes the
-- indexes; a custom plan was planned on every call). Only rows that changed are written: the sync rewrites
-- mostly unchanged leads (its windows overlap), and rewriting their won rows would leave dead tuples and clear
-- the visibility map the board's index-only range scan relies on.
CREATE FUNCTION kpi.refresh_won_deals(p_leads bigint[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  IF p_leads IS NULL OR cardinality(p_leads) > 20000 THEN
    DELETE FROM kpi.won_deals;
    INSERT INTO kpi.won_deals (lead_id, manager_id, price, pipeline_id, won_at, created_at) SELECT * FROM kpi.won_leads_now();
  ELSE
    WITH won AS (SELECT * FROM kpi.won_leads_now() w WHERE w.lead_id = ANY (p_leads)),
    -- disjoint from the rows the upsert touches, as one statement requires
    gone AS (DELETE FROM kpi.won_deals d WHERE d.lead_id = ANY (p_leads) AND NOT EXISTS (SELECT 1 FROM won WHERE won.lead_id = d.lead_id))
    INSERT INTO kpi.won_deals AS k (lead_id, manager_id, price, pipeline_id, won_at, created_at)
    SELECT * FROM won
    ON CONFLICT (lead_id) DO UPDATE
      SET manager_id = EXCLUDED.manager_id, price = EXCLUDED.price, pipeline_id = EXCLUDED.pipeline_id,
          won_at = EXCLUDED.won_at, created_at = EXCLUDED.created_at
      WHERE (k.manager_id, k.price, k.pipeline_id, k.won_at, k.created_at)
            IS DISTINCT FROM (EXCLUDED.manager_id, EXCLUDED.price, EXCLUDED.pipeline_id, EXCLUDED.won_at, EXCLUDED.created_at);
  END IF;
END
$$;

-- Kept by kpi.open_deals' triggers (0010): the leads they recompute are exactly those a write can win or un-win —
-- lead rows and status events, after the status summary (the events' triggers fire in name order, as 0010 says),
-- and a TRUNCATE of either recomputes everything. Stage types do not matter to a win; recomputing those few leads
-- as well costs nothing. Its own plans are kept for the session too, as above: the per-lead statement filters
-- outside kpi.open_leads_entered instead of passing the leads in, where "p_leads IS NULL OR" made a generic plan
-- scan every open lead (250 leads: 1.3 -> 0.9 ms per call).
CREATE OR REPLACE FUNCTION kpi.refresh_open_deals(p_leads bigint[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  -- Past tens of thousands of leads (a bulk load) one pass over all open leads is cheaper than a probe per lead.
  IF p_leads IS NULL OR cardinality(p_leads) > 20000 THEN
    DELETE FROM kpi.open_deals;
    INSERT INTO kpi.open_deals (lead_id, lead_name, manager_id, pipeline_id, status_id, price, created_at, entered_at)
    SELECT * FROM kpi.open_leads_entered('infinity');
  ELSE
    DELETE FROM kpi.open_deals WHERE lead_id = ANY (p_leads);
    INSERT INTO kpi.open_deals (lead_id, lead_name, manager_id, pipeline_id, status_id, price, created_at, entered_at)
    SELECT * FROM kpi.open_leads_entered('infinity') o WHERE o.lead_id = ANY (p_leads);
  END IF;
  PERFORM kpi.refresh_won_deals(p_leads);
END
$$;

SELECT kpi.refresh_won_deals();
-- Statistics now, not at autovacuum's next pass: the board's first plans read this table.
ANALYZE kpi.won_deals;

-- 0012's definition; the rows of its first three branches now come from kpi.won_deals.
CREATE OR REPLACE FUNCTION kpi.won_leads(p_from timestamptz, p_to timestamptz, p_pipeline bigint DEFAULT NULL)
RETURNS TABLE (lead_id bigint, manager_id bigint, price bigint, pipeline_id bigint, won_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT w.lead_id, w.manager_id, w.price, w.pipeline_id, w.won_at
    FROM kpi.won_deals w
   WHERE w.won_at >= p_from AND w.won_at < p_to AND coalesce(w.created_at, '-infinity') < p_to
     AND (p_pipeline IS NULL OR w.pipeline_id = p_pipeline)
     AND NOT EXISTS (SELECT 1 FROM amo.events e WHERE e.type = 'lead_status_changed' AND e.created_at >= p_to)
  UNION ALL
  SELECT h.* FROM kpi.won_leads_by_history(p_from, p_to, p_pipeline) h
   WHERE EXISTS (SELECT 1 FROM amo.events e WHERE e.type = 'lead_status_changed' AND e.created_at >= p_to)
$$;

-- 0003's definition; the active leads without a status event at or after p_t now come from kpi.open_deals.
CREATE OR REPLACE FUNCTION kpi.in_progress_leads(p_t timestamptz, p_pipeline bigint DEFAULT NULL)
RETURNS TABLE (lead_id bigint, manager_id bigint, price bigint, pipeline_id bigint, status_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH later AS (
    SELECT DISTINCT e.entity_id AS id FROM amo.events e
     WHERE e.type = 'lead_status_changed' AND e.created_at >= p_t
  )
  SELECT o.lead_id, o.manager_id, o.price, o.pipeline_id, o.status_id
  FROM kpi.open_deals o
  WHERE coalesce(o.created_at, '-infinity') < p_t
    AND (p_pipeline IS NULL OR o.pipeline_id = p_pipeline)
    AND NOT EXISTS (SELECT 1 FROM later WHERE later.id = o.lead_id)
  UNION ALL
  SELECT l.id, l.responsible_user_id, l.price, s.pipeline_id, s.status_id
  FROM later
  JOIN amo.leads l ON l.id = later.id AND l.deleted_at IS NULL AND coalesce(l.created_at, '-infinity') < p_t
  CROSS JOIN LATERAL kpi.lead_stage_at(l.id, p_t) s
  WHERE s.status_id <> ALL ('{142,143}'::bigint[])
    AND NOT EXISTS (SELECT 1 FROM amo.statuses us WHERE us.pipeline_id = s.pipeline_id AND us.id = s.status_id AND us.type = 1)
    AND (p_pipeline IS NULL OR s.pipeline_id = p_pipeline)
$$;

-- Down Migration
CREATE OR REPLACE FUNCTION kpi.in_progress_leads(p_t timestamptz, p_pipeline bigint DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION kpi.refresh_open_deals(p_leads bigint[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_leads IS NULL OR cardinality(p_leads) > 20000 THEN
    DELETE FROM kpi.open_deals;
    INSERT INTO kpi.open_deals (lead_id, lead_name, manager_id, pipeline_id, status_id, price, created_at, entered_at)
    SELECT * FROM kpi.open_leads_entered('infinity');
  ELSE
    DELETE FROM kpi.open_deals WHERE lead_id = ANY (p_leads);
    INSERT INTO kpi.open_deals (lead_id, lead_name, manager_id, pipeline_id, status_id, price, created_at, entered_at)
    SELECT * FROM kpi.open_leads_entered('infinity', p_leads);
  END IF;
END
$$;

DROP FUNCTION IF EXISTS kpi.refresh_won_deals(bigint[]);
DROP TABLE IF EXISTS kpi.won_deals;
DROP FUNCTION IF EXISTS kpi.won_leads_now();
