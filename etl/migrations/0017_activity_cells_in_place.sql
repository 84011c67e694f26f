-- Up Migration
-- The per-day activity cells stay where they are written. A month of the board is ~6 000 cells; rebuilt in hash
-- order and rewritten by delete-and-insert on every sync batch, they ended up spread over every page of the table
-- (1M-lead account: 5 400 cells of one month on 1 374 pages of activity_calls and 1 351 of activity_messages), and
-- each read of the month touched them all. Now a full rebuild inserts in day order; a day's call cells are
-- updated in place when they change (as the message cells already were), and both tables keep 10 % of each page
-- free, so those updates stay on their page (HOT) and a new day's cells go to new pages, after the days before.
-- The cells written so far are put in day order once here.
ALTER TABLE kpi.activity_calls SET (fillfactor = 90);
ALTER TABLE kpi.activity_messages SET (fillfactor = 90);

-- 0003's definition of the cells; how they are written changes.
CREATE OR REPLACE FUNCTION kpi.refresh_activity_calls(p_days date[] DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
  -- A full rebuild starts from an empty table, so its cells go in day order.
  DELETE FROM kpi.activity_calls WHERE p_days IS NULL;
  WITH fresh AS (
    SELECT (c.created_at AT TIME ZONE z.zone)::date AS day, c.manager_id, sum(c.seconds) AS seconds
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
  ),
  -- cells of the given days that no call holds any more (disjoint from the rows the upsert touches)
  gone AS (
    DELETE FROM kpi.activity_calls k
     WHERE k.day = ANY (p_days) AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.day = k.day AND f.manager_id = k.manager_id)
  )
  INSERT INTO kpi.activity_calls AS k (day, manager_id, seconds)
  SELECT f.day, f.manager_id, f.seconds FROM fresh f ORDER BY f.day, f.manager_id
  ON CONFLICT (day, manager_id) DO UPDATE SET seconds = EXCLUDED.seconds WHERE k.seconds IS DISTINCT FROM EXCLUDED.seconds;
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
