-- Up Migration
-- The per-day activity cells are kept in day order. A month of the board is ~6 000 cells; rebuilt in hash order
-- and rewritten on every sync batch, they ended up spread over every page of the table (1M-lead account: the 5 400
-- call cells of one month on 1 374 pages of activity_calls, the message cells on 1 351), and each read of the
-- month touched them all. Now a full rebuild and a day's refresh insert in day order, and both tables keep 10 % of
-- each page free: the message cells' in-place updates stay on their page, and a new day's cells go to fresh pages
-- after the days before. The cells written so far are put in day order once here.
ALTER TABLE kpi.activity_calls SET (fillfactor = 90);
ALTER TABLE kpi.activity_messages SET (fillfactor = 90);

-- 0003's definition of the cells; how they are written changes. It runs for every statement the sync writes
-- to amo.notes, so its plans are kept for the session (plpgsql, force_generic_plan; as a SQL function each
-- statement was planned on every call), and its delete is two statements: as one ("p_days IS NULL OR day =
-- ANY (p_days)") its plan scanned the whole table (50 of the 100 ms a 20-day refresh took at 1M leads).
CREATE OR REPLACE FUNCTION kpi.refresh_activity_calls(p_days date[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  IF p_days IS NULL THEN
    DELETE FROM kpi.activity_calls;
  ELSE
    DELETE FROM kpi.activity_calls WHERE day = ANY (p_days);
  END IF;
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
   GROUP BY 1, 2
   ORDER BY 1, 2;
END
$$;

-- 0003's definition; the message cells of a rebuild go in day order too.
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

CLUSTER kpi.activity_calls USING activity_calls_pkey;
CLUSTER kpi.activity_messages USING activity_messages_pkey;
ANALYZE kpi.activity_calls;
ANALYZE kpi.activity_messages;

-- Down Migration
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
   GROUP BY 1, 2;
END
$$;

CREATE OR REPLACE FUNCTION kpi.refresh_activity_calls(p_days date[] DEFAULT NULL) RETURNS void
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

ALTER TABLE kpi.activity_messages RESET (fillfactor);
ALTER TABLE kpi.activity_calls RESET (fillfactor);
