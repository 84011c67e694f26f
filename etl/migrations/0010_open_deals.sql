-- Up Migration
-- The stuck-deal list, kept per open lead. Computing "when did each open lead enter the stage it is in" on every
-- request joins every open lead (≈ 40 000 at 1M leads) with its status summary: ≈ 20 ms of SQL before a single
-- row is filtered by minDays. kpi.open_deals holds the answer per lead, kept by statement-level triggers on
-- amo.leads, amo.events and amo.statuses, so a request reads only the rows it returns.

-- The one definition of stage entry (KPI.md "Stuck deals"), as of p_now, for every active lead or those given:
-- the last status event into its current stage before p_now (the summary's last event when it led there, else
-- the history), else its creation.
CREATE FUNCTION kpi.open_leads_entered(p_now timestamptz, p_leads bigint[] DEFAULT NULL)
RETURNS TABLE (lead_id bigint, lead_name text, manager_id bigint, pipeline_id bigint, status_id bigint,
               price bigint, created_at timestamptz, entered_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT a.id, a.name, a.responsible_user_id, a.pipeline_id, a.status_id, a.price, a.created_at, en.entered_at
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
    AND (p_leads IS NULL OR a.id = ANY (p_leads))
$$;

-- Stage entry as of "after every event we hold"; equal to open_leads_entered(p_now) whenever no status event is
-- at or after p_now, which kpi.stale_deals checks before trusting it.
CREATE TABLE kpi.open_deals (
  lead_id     bigint PRIMARY KEY,
  lead_name   text,
  manager_id  bigint,
  pipeline_id bigint,
  status_id   bigint,
  price       bigint NOT NULL,
  created_at  timestamptz,
  entered_at  timestamptz
);
CREATE INDEX open_deals_entered ON kpi.open_deals (entered_at);
CREATE INDEX open_deals_manager ON kpi.open_deals (manager_id, entered_at);

CREATE FUNCTION kpi.refresh_open_deals(p_leads bigint[] DEFAULT NULL) RETURNS void
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
END
$$;

-- Leads and status events: a sync batch is one statement, and the leads it names are recomputed. TG_ARGV[0] is the
-- column naming the lead, TG_ARGV[1] a filter (events other than status changes do not move a lead). Rows the
-- sync rewrites unchanged (its overlapping windows) are recomputed too: a few µs per lead, cheaper than
-- comparing every column of both transition tables.
CREATE FUNCTION kpi.track_open_deals() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched bigint[];
  gone bigint[];
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    EXECUTE format('SELECT array_agg(DISTINCT %1$I) FROM new_rows WHERE %2$s AND %1$I IS NOT NULL', TG_ARGV[0], TG_ARGV[1]) INTO touched;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    EXECUTE format('SELECT array_agg(DISTINCT %1$I) FROM old_rows WHERE %2$s AND %1$I IS NOT NULL', TG_ARGV[0], TG_ARGV[1]) INTO gone;
    touched := touched || gone;
  END IF;
  IF touched IS NOT NULL THEN
    PERFORM kpi.refresh_open_deals(touched);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER leads_open_deals_ins AFTER INSERT ON amo.leads REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_open_deals('id', 'true');
CREATE TRIGGER leads_open_deals_upd AFTER UPDATE ON amo.leads REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_open_deals('id', 'true');
CREATE TRIGGER leads_open_deals_del AFTER DELETE ON amo.leads REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_open_deals('id', 'true');
-- These must run after events_status_last_* (which keep the summary the recomputation reads): triggers of one
-- event fire in name order, and "status_since" sorts after "status_last".
CREATE TRIGGER events_status_since_ins AFTER INSERT ON amo.events REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_open_deals('entity_id', 'type = ''lead_status_changed''');
CREATE TRIGGER events_status_since_upd AFTER UPDATE ON amo.events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_open_deals('entity_id', 'type = ''lead_status_changed''');
CREATE TRIGGER events_status_since_del AFTER DELETE ON amo.events REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_open_deals('entity_id', 'type = ''lead_status_changed''');

-- Statuses: a stage that becomes (or stops being) "unsorted" changes which of its leads are active. The
-- pipelines stream rewrites every status on each run, so only real changes of type recompute anything.
CREATE FUNCTION kpi.track_open_lead_statuses() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched bigint[];
BEGIN
  -- Transition tables exist only for the operations that have them, hence one statement per operation.
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(l.id) INTO touched
      FROM new_rows n JOIN amo.leads l ON l.pipeline_id = n.pipeline_id AND l.status_id = n.id AND l.deleted_at IS NULL;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT array_agg(l.id) INTO touched
      FROM (SELECT n.pipeline_id, n.id FROM new_rows n
             WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.pipeline_id = n.pipeline_id AND o.id = n.id AND o.type = n.type)
            UNION
            SELECT o.pipeline_id, o.id FROM old_rows o
             WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.pipeline_id = o.pipeline_id AND n.id = o.id AND n.type = o.type)) c
      JOIN amo.leads l ON l.pipeline_id = c.pipeline_id AND l.status_id = c.id AND l.deleted_at IS NULL;
  ELSE
    SELECT array_agg(l.id) INTO touched
      FROM old_rows o JOIN amo.leads l ON l.pipeline_id = o.pipeline_id AND l.status_id = o.id AND l.deleted_at IS NULL;
  END IF;
  IF touched IS NOT NULL THEN
    PERFORM kpi.refresh_open_deals(touched);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER statuses_open_deals_ins AFTER INSERT ON amo.statuses REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_open_lead_statuses();
CREATE TRIGGER statuses_open_deals_upd AFTER UPDATE ON amo.statuses REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_open_lead_statuses();
CREATE TRIGGER statuses_open_deals_del AFTER DELETE ON amo.statuses REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.track_open_lead_statuses();

-- TRUNCATE (a full reload) of any source: recompute everything (empty when the leads are gone). For amo.events
-- this runs after events_status_last_trunc has emptied the summary.
CREATE FUNCTION kpi.reset_open_deals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kpi.refresh_open_deals();
  RETURN NULL;
END
$$;
CREATE TRIGGER leads_open_deals_trunc AFTER TRUNCATE ON amo.leads FOR EACH STATEMENT EXECUTE FUNCTION kpi.reset_open_deals();
CREATE TRIGGER events_status_since_trunc AFTER TRUNCATE ON amo.events FOR EACH STATEMENT EXECUTE FUNCTION kpi.reset_open_deals();
CREATE TRIGGER statuses_open_deals_trunc AFTER TRUNCATE ON amo.statuses FOR EACH STATEMENT EXECUTE FUNCTION kpi.reset_open_deals();

SELECT kpi.refresh_open_deals();

-- The stuck-deal list: rows of kpi.open_deals when no status event is at or after p_now (the live board), else
-- computed from the history as of p_now (a frozen AMOKPI_NOW in the past); days in status are calendar days in
-- p_tz. Signature and meaning as before this migration: the API and the alert rules call it unchanged.
CREATE OR REPLACE FUNCTION kpi.stale_deals(p_now timestamptz, p_tz text, p_min_days int DEFAULT 0)
RETURNS TABLE (lead_id bigint, lead_name text, manager_id bigint, pipeline_id bigint, status_id bigint,
               price bigint, entered_at timestamptz, days_in_status int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT x.lead_id, x.lead_name, x.manager_id, x.pipeline_id, x.status_id, x.price, x.entered_at,
         ((SELECT (p_now AT TIME ZONE p_tz)::date) - (x.entered_at AT TIME ZONE p_tz)::date)::int
  FROM (
    SELECT o.lead_id, o.lead_name, o.manager_id, o.pipeline_id, o.status_id, o.price, o.entered_at
      FROM kpi.open_deals o
     WHERE coalesce(o.created_at, '-infinity') < p_now
       AND NOT EXISTS (SELECT 1 FROM amo.events e WHERE e.type = 'lead_status_changed' AND e.created_at >= p_now)
    UNION ALL
    SELECT h.lead_id, h.lead_name, h.manager_id, h.pipeline_id, h.status_id, h.price, h.entered_at
      FROM kpi.open_leads_entered(p_now) h
     WHERE EXISTS (SELECT 1 FROM amo.events e WHERE e.type = 'lead_status_changed' AND e.created_at >= p_now)
  ) x
  -- p_min_days or more calendar days <=> entered before the start of day (today - p_min_days + 1): one
  -- comparison with a bound computed once, not two zone conversions per active lead (measured at 1M leads).
  WHERE x.entered_at < (SELECT ((p_now AT TIME ZONE p_tz)::date - p_min_days + 1)::timestamp AT TIME ZONE p_tz)
$$;

-- Down Migration
DROP TRIGGER IF EXISTS leads_open_deals_ins ON amo.leads;
DROP TRIGGER IF EXISTS leads_open_deals_upd ON amo.leads;
DROP TRIGGER IF EXISTS leads_open_deals_del ON amo.leads;
DROP TRIGGER IF EXISTS leads_open_deals_trunc ON amo.leads;
DROP TRIGGER IF EXISTS events_status_since_ins ON amo.events;
DROP TRIGGER IF EXISTS events_status_since_upd ON amo.events;
DROP TRIGGER IF EXISTS events_status_since_del ON amo.events;
DROP TRIGGER IF EXISTS events_status_since_trunc ON amo.events;
DROP TRIGGER IF EXISTS statuses_open_deals_ins ON amo.statuses;
DROP TRIGGER IF EXISTS statuses_open_deals_upd ON amo.statuses;
DROP TRIGGER IF EXISTS statuses_open_deals_del ON amo.statuses;
DROP TRIGGER IF EXISTS statuses_open_deals_trunc ON amo.statuses;
DROP FUNCTION IF EXISTS kpi.reset_open_deals();
DROP FUNCTION IF EXISTS kpi.track_open_lead_statuses();
DROP FUNCTION IF EXISTS kpi.track_open_deals();
DROP FUNCTION IF EXISTS kpi.refresh_open_deals(bigint[]);
DROP TABLE IF EXISTS kpi.open_deals;
-- Back to computing every request from the history; kpi.open_leads_entered stays, as that version reads it.
CREATE OR REPLACE FUNCTION kpi.stale_deals(p_now timestamptz, p_tz text, p_min_days int DEFAULT 0)
RETURNS TABLE (lead_id bigint, lead_name text, manager_id bigint, pipeline_id bigint, status_id bigint,
               price bigint, entered_at timestamptz, days_in_status int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT h.lead_id, h.lead_name, h.manager_id, h.pipeline_id, h.status_id, h.price, h.entered_at,
         ((SELECT (p_now AT TIME ZONE p_tz)::date) - (h.entered_at AT TIME ZONE p_tz)::date)::int
  FROM kpi.open_leads_entered(p_now) h
  WHERE h.entered_at < (SELECT ((p_now AT TIME ZONE p_tz)::date - p_min_days + 1)::timestamp AT TIME ZONE p_tz)
$$;
