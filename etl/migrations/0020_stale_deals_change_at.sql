-- Up Migration
-- The stuck-deal list as of now changes without a write only at midnight (its days) or when now passes a row dated
-- after it: a lead created later than now joins the list then (kpi.stale_deals keeps created_at < now), and a status
-- event dated after now makes the list one computed from the history. amoCRM's clock and this machine's differ, and
-- an integration may set a lead's created_at, so such rows can exist. The API keeps a list it sent (api/answer-cache.ts)
-- only until this instant: p_now itself (keep nothing) when a status event lies at or after it, else the earliest
-- creation at or after it among the open deals, else NULL (nothing dated after now).
CREATE INDEX open_deals_created ON kpi.open_deals (created_at);

-- Written for a generic plan (a SQL function called with a parameter is not inlined): a max and an ordered limit
-- read their indexes whatever p_now is; "EXISTS … created_at >= p_now" was planned as a scan of every event (2.7 s
-- at 1M leads).
CREATE FUNCTION kpi.stale_deals_change_at(p_now timestamptz) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN (SELECT max(e.created_at) FROM amo.events e WHERE e.type = 'lead_status_changed') >= p_now THEN p_now
    ELSE (SELECT o.created_at FROM kpi.open_deals o WHERE o.created_at >= p_now ORDER BY o.created_at LIMIT 1)
  END
$$;

-- Down Migration
DROP FUNCTION IF EXISTS kpi.stale_deals_change_at(timestamptz);
DROP INDEX IF EXISTS kpi.open_deals_created;
