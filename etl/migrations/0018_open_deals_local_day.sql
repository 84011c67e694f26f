-- Up Migration
-- Each open deal keeps the local calendar day it entered its stage on, in the board's zone, the one zone
-- kpi.activity_zone keeps (kpi.use_activity_zone). The stuck-deal list ranks by days in status, then lead: that is
-- this day, then lead, read in order from an index. Computing the day per row and sorting took 7 of the 24 ms
-- the unlimited list's query took at 1M leads (16 400 of 37 000 open deals), and the TV's 50 longest-stuck read
-- only their 50 index entries. Days in status stay calendar days in the zone asked for: in another zone, or as of
-- a frozen AMOKPI_NOW before a status event, the list is computed as before.
ALTER TABLE kpi.open_deals ADD COLUMN entered_day date;
UPDATE kpi.open_deals o SET entered_day = (o.entered_at AT TIME ZONE z.zone)::date FROM kpi.activity_zone z;
CREATE INDEX open_deals_day ON kpi.open_deals (entered_day, lead_id);
-- Each row also has a version, new whenever the row is written (a refresh deletes and inserts it): the API keeps
-- the JSON it rendered for a row under its version and days in status, and asks for the rows themselves only
-- when it has not rendered that version (kpi.stale_deal_versions). The unlimited list at 1M leads is 16 400 rows
-- and 4.8 MB: building, sending and decoding each row's text took ~8 of the ~17 ms its query took.
ALTER TABLE kpi.open_deals ADD COLUMN version bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX open_deals_version ON kpi.open_deals (version);
-- One manager's list in the same order (it replaces the index on the instant, which only that list read).
DROP INDEX kpi.open_deals_manager;
CREATE INDEX open_deals_manager_day ON kpi.open_deals (manager_id, entered_day, lead_id);

-- 0016's definition; the day is written with the row, in the kept zone (NULL while none is kept).
CREATE OR REPLACE FUNCTION kpi.refresh_open_deals(p_leads bigint[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  -- Past tens of thousands of leads (a bulk load) one pass over all open leads is cheaper than a probe per lead.
  IF p_leads IS NULL OR cardinality(p_leads) > 20000 THEN
    DELETE FROM kpi.open_deals;
    INSERT INTO kpi.open_deals (lead_id, lead_name, manager_id, pipeline_id, status_id, price, created_at, entered_at, entered_day)
    SELECT o.*, (o.entered_at AT TIME ZONE z.zone)::date
      FROM kpi.open_leads_entered('infinity') o LEFT JOIN kpi.activity_zone z ON true;
  ELSE
    DELETE FROM kpi.open_deals WHERE lead_id = ANY (p_leads);
    INSERT INTO kpi.open_deals (lead_id, lead_name, manager_id, pipeline_id, status_id, price, created_at, entered_at, entered_day)
    SELECT o.*, (o.entered_at AT TIME ZONE z.zone)::date
      FROM kpi.open_leads_entered('infinity') o LEFT JOIN kpi.activity_zone z ON true
     WHERE o.lead_id = ANY (p_leads);
  END IF;
  PERFORM kpi.refresh_won_deals(p_leads);
END
$$;

-- 0017's definition; a new zone rewrites the open deals' days too. The lock on kpi.open_deals waits for the
-- writers under way (a sync statement's triggers); a writer after it reads the new zone, as its refresh's INSERT
-- runs after its DELETE took the lock: no day is left in the old zone.
CREATE OR REPLACE FUNCTION kpi.use_activity_zone(p_tz text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM kpi.activity_zone WHERE zone = p_tz) THEN
    RETURN;
  END IF;
  LOCK TABLE kpi.activity_zone IN EXCLUSIVE MODE;
  LOCK TABLE amo.notes, amo.events IN SHARE MODE;
  LOCK TABLE kpi.open_deals IN SHARE ROW EXCLUSIVE MODE;
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
   GROUP BY 1, 2
   ORDER BY 1, 2;
  UPDATE kpi.open_deals SET entered_day = (entered_at AT TIME ZONE p_tz)::date, version = DEFAULT;
END
$$;

-- The stuck-deal list, now ranked and filtered here: 0010's rows and days, with the API's filters (manager, pipeline,
-- the board's managers) and its order (days in status, longest first, then lead), the first p_limit rows (all when
-- NULL), in the order returned (WITH ORDINALITY keeps it). p_min_days or more calendar days <=> entered on or before
-- the local day (today - p_min_days). As one SQL union of the kept rows and the history the planner could not read
-- the day index in order (a union's branches with quals are planned apart from the query's order): it sorted every
-- row, and ranked all candidates for a limit. Plans are made per call (force_custom_plan), with the bound and the
-- limit known. A random read is priced as about a sequential one (random_page_cost 1.1, the usual setting for data
-- in memory): this table is a few MB and always cached. At the default 4 the planner sorted the kept rows rather
-- than read them in the index's order, which it priced as random reads of the heap (the unlimited list at 1M
-- leads, 16 400 rows: 24 ms with the sort, 16 ms in the index's order; with the heap in random order, 9 -> 6 ms of
-- SQL). enable_sort = off did the same but its penalty pushed every plan's cost over jit_above_cost: 350 ms of JIT.
DROP FUNCTION kpi.stale_deals(timestamptz, text, int);
CREATE FUNCTION kpi.stale_deals(p_now timestamptz, p_tz text, p_min_days int DEFAULT 0, p_manager bigint DEFAULT NULL,
                                p_pipeline bigint DEFAULT NULL, p_managers bigint[] DEFAULT NULL, p_limit int DEFAULT NULL)
RETURNS TABLE (lead_id bigint, lead_name text, manager_id bigint, pipeline_id bigint, status_id bigint,
               price bigint, entered_at timestamptz, days_in_status int, version bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE SET plan_cache_mode = force_custom_plan SET random_page_cost = 1.1 AS $$
DECLARE
  today date := (p_now AT TIME ZONE p_tz)::date;
BEGIN
  IF EXISTS (SELECT 1 FROM kpi.activity_zone z WHERE z.zone = p_tz)
     AND NOT EXISTS (SELECT 1 FROM amo.events e WHERE e.type = 'lead_status_changed' AND e.created_at >= p_now) THEN
    -- The kept rows with their kept days, in the day index's order. "created_at < p_now OR NULL", not coalesce():
    -- the planner then estimates the rows from statistics, not as a third of them.
    RETURN QUERY
      SELECT o.lead_id, o.lead_name, o.manager_id, o.pipeline_id, o.status_id, o.price, o.entered_at, today - o.entered_day,
             o.version
        FROM kpi.open_deals o
       WHERE o.entered_day <= today - p_min_days
         AND (o.created_at < p_now OR o.created_at IS NULL)
         AND (p_manager IS NULL OR o.manager_id = p_manager)
         AND (p_pipeline IS NULL OR o.pipeline_id = p_pipeline)
         AND (p_managers IS NULL OR o.manager_id = ANY (p_managers))
       ORDER BY o.entered_day, o.lead_id
       LIMIT p_limit;
  ELSE
    -- Another zone than the kept one (days computed per row), or a p_now before a status event we hold (from the
    -- history as of p_now).
    RETURN QUERY
      SELECT x.lead_id, x.lead_name, x.manager_id, x.pipeline_id, x.status_id, x.price, x.entered_at,
             today - (x.entered_at AT TIME ZONE p_tz)::date, NULL::bigint
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
       WHERE x.entered_at < ((today - p_min_days + 1)::timestamp AT TIME ZONE p_tz)
         AND (p_manager IS NULL OR x.manager_id = p_manager)
         AND (p_pipeline IS NULL OR x.pipeline_id = p_pipeline)
         AND (p_managers IS NULL OR x.manager_id = ANY (p_managers))
       ORDER BY (x.entered_at AT TIME ZONE p_tz)::date, x.lead_id
       LIMIT p_limit;
  END IF;
END
$$;

-- The kept rows of these versions as kpi.stale_deals returns them as of p_now in p_tz (the versions it returned),
-- none unless p_tz is still the kept zone. A version missing from the answer was rewritten meanwhile.
CREATE FUNCTION kpi.stale_deal_versions(p_now timestamptz, p_tz text, p_versions bigint[])
RETURNS TABLE (lead_id bigint, lead_name text, manager_id bigint, pipeline_id bigint, status_id bigint,
               price bigint, entered_at timestamptz, days_in_status int, version bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT o.lead_id, o.lead_name, o.manager_id, o.pipeline_id, o.status_id, o.price, o.entered_at,
         (p_now AT TIME ZONE p_tz)::date - o.entered_day, o.version
    FROM kpi.open_deals o
   WHERE o.version = ANY (p_versions) AND EXISTS (SELECT 1 FROM kpi.activity_zone z WHERE z.zone = p_tz)
$$;

ANALYZE kpi.open_deals;

-- Down Migration
DROP FUNCTION IF EXISTS kpi.stale_deal_versions(timestamptz, text, bigint[]);
DROP FUNCTION IF EXISTS kpi.stale_deals(timestamptz, text, int, bigint, bigint, bigint[], int);
CREATE FUNCTION kpi.stale_deals(p_now timestamptz, p_tz text, p_min_days int DEFAULT 0)
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
  WHERE x.entered_at < (SELECT ((p_now AT TIME ZONE p_tz)::date - p_min_days + 1)::timestamp AT TIME ZONE p_tz)
$$;

CREATE OR REPLACE FUNCTION kpi.use_activity_zone(p_tz text) RETURNS void
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
   GROUP BY 1, 2
   ORDER BY 1, 2;
END
$$;

CREATE OR REPLACE FUNCTION kpi.refresh_open_deals(p_leads bigint[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
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

DROP INDEX IF EXISTS kpi.open_deals_manager_day;
DROP INDEX IF EXISTS kpi.open_deals_day;
CREATE INDEX open_deals_manager ON kpi.open_deals (manager_id, entered_at);
DROP INDEX IF EXISTS kpi.open_deals_version;
ALTER TABLE kpi.open_deals DROP COLUMN IF EXISTS version;
ALTER TABLE kpi.open_deals DROP COLUMN IF EXISTS entered_day;
