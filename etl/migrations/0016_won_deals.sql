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
-- summary at all and the lead row in 142 (closed_at). Deleted leads are never won.
CREATE FUNCTION kpi.won_leads_now(p_leads bigint[] DEFAULT NULL)
RETURNS TABLE (lead_id bigint, manager_id bigint, price bigint, pipeline_id bigint, won_at timestamptz, created_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT l.id, l.responsible_user_id, l.price, s.pipeline_id, coalesce(s.won_at, l.closed_at), l.created_at
    FROM kpi.lead_status_last s
    JOIN amo.leads l ON l.id = s.lead_id AND l.deleted_at IS NULL
   WHERE s.status_id = 142 AND (p_leads IS NULL OR s.lead_id = ANY (p_leads))
  UNION ALL
  SELECT l.id, l.responsible_user_id, l.price, l.pipeline_id, l.closed_at, l.created_at
    FROM amo.leads l
   WHERE l.deleted_at IS NULL AND l.status_id = 142
     AND NOT EXISTS (SELECT 1 FROM kpi.lead_status_last s WHERE s.lead_id = l.id)
     AND (p_leads IS NULL OR l.id = ANY (p_leads))
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

CREATE FUNCTION kpi.refresh_won_deals(p_leads bigint[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_leads IS NULL OR cardinality(p_leads) > 20000 THEN
    DELETE FROM kpi.won_deals;
    INSERT INTO kpi.won_deals (lead_id, manager_id, price, pipeline_id, won_at, created_at) SELECT * FROM kpi.won_leads_now();
  ELSE
    DELETE FROM kpi.won_deals WHERE lead_id = ANY (p_leads);
    INSERT INTO kpi.won_deals (lead_id, manager_id, price, pipeline_id, won_at, created_at) SELECT * FROM kpi.won_leads_now(p_leads);
  END IF;
END
$$;

-- Kept by kpi.open_deals' triggers (0010): the leads they recompute are exactly those a write can win or un-win —
-- lead rows and status events, after the status summary (the events' triggers fire in name order, as 0010 says),
-- and a TRUNCATE of either recomputes everything. Stage types do not matter to a win; recomputing those few leads
-- as well costs nothing.
CREATE OR REPLACE FUNCTION kpi.refresh_open_deals(p_leads bigint[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Past tens of thousands of leads (a bulk load) one pass over all open leads is cheaper than a probe per lead.
  IF p_leads IS NULL OR cardinality(p_leads) > 20000 THEN
    DELETE FROM kpi.open_deals;
    INSERT INTO kpi.open_deals (lead_id, lead_name, manager_id, pipeline_id, status_id, price, created_at, entered_at)
    SELECT * FROM kpi.open_leads_entered('infinity');
  ELSE
    DELETE FROM kpi.open_deals WHERE lead_id = ANY (p_leads);
    INSERT INTO kpi.open_deals (lead_id, lead_name, manager_id, pipeline_id, status_id, price, created_at, entered_at)
    SELECT * FROM kpi.open_leads_entered('infinity', p_leads);
  END IF;
  PERFORM kpi.refresh_won_deals(p_leads);
END
$$;

SELECT kpi.refresh_won_deals();

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
DROP FUNCTION IF EXISTS kpi.won_leads_now(bigint[]);
