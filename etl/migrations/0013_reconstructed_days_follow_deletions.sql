-- Up Migration
-- Stored reconstructed days follow lead deletions. A reconstructed day (kpi.snapshot_days, source
-- 'reconstructed') is the status history's answer for that day stored ahead of time, not a frozen day: KPI.md
-- has deleted leads drop out of every figure from the moment the ETL learns of the deletion, figures
-- recomputed for past dates included. So whenever a lead stops or starts counting (deleted_at turns non-null
-- or null, by any route: trash, events, the full pass's set difference, a later sighting in the live list) or
-- its row goes, the reconstructed days from the day before its creation on are dropped (a lead does not exist
-- before created_at; its UTC date minus one day is on or before its date in any zone). The API then recomputes
-- those days from the history, and the worker's catch-up or the next back-fill stores them again. Days frozen
-- as 'snapshot' are never touched: a frozen day keeps the lead it froze.
--
-- A back-fill transaction takes the shared side of the advisory key ('amokpi.history', 0) before it reads
-- the leads, and this trigger the exclusive side before it deletes: a day computed while a deletion was being
-- written either sees the deletion or is committed before the trigger's DELETE looks, never stored after it.
-- Only the days a lead can count in are dropped: from the day before its creation, and, for a lead closed (won or
-- lost) when it stopped or started counting, up to the end of the month of its last change (the later of
-- updated_at, closed_at and its last status event; its UTC date plus a day is on or after its date in any zone).
-- After that month a closed lead is neither in progress nor won in the period, so deleting a deal closed two
-- years ago drops weeks of stored days, not two years of them (a re-back-fill at 1M leads is ~2 s a day).
-- The first day a lead no longer counts in: 'infinity' while it is not closed, else the first day of the month
-- after its last change.
CREATE FUNCTION kpi.counted_until(p_lead bigint, p_closed boolean, p_changed timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN NOT coalesce(p_closed, false) THEN 'infinity'::date
              ELSE coalesce((date_trunc('month', (greatest(p_changed,
                     (SELECT max(e.created_at) FROM amo.events e WHERE e.type = 'lead_status_changed' AND e.entity_id = p_lead))
                     AT TIME ZONE 'UTC')::date + 1) + interval '1 month')::date, 'infinity'::date) END
$$;

CREATE FUNCTION kpi.drop_reconstructed_days() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  los date[];
  his date[];
BEGIN
  -- Transition tables exist only for the operations that have them, hence one statement per operation.
  IF TG_OP = 'UPDATE' THEN
    SELECT array_agg(r.lo), array_agg(r.hi) INTO los, his FROM (
      SELECT DISTINCT (coalesce(least(n.created_at, o.created_at), '-infinity') AT TIME ZONE 'UTC')::date - 1 AS lo,
             kpi.counted_until(n.id, n.status_id IN (142, 143) AND o.status_id IN (142, 143),
                               greatest(n.updated_at, o.updated_at, n.closed_at, o.closed_at)) AS hi
        FROM new_rows n JOIN old_rows o ON o.id = n.id
       WHERE (n.deleted_at IS NULL) <> (o.deleted_at IS NULL)) r;
  ELSIF TG_OP = 'DELETE' THEN -- only rows that were counting
    SELECT array_agg(r.lo), array_agg(r.hi) INTO los, his FROM (
      SELECT DISTINCT (coalesce(o.created_at, '-infinity') AT TIME ZONE 'UTC')::date - 1 AS lo,
             kpi.counted_until(o.id, o.status_id IN (142, 143), greatest(o.updated_at, o.closed_at)) AS hi
        FROM old_rows o WHERE o.deleted_at IS NULL) r;
  ELSE -- TRUNCATE: every reconstructed day goes
    los := ARRAY['-infinity'::date];
    his := ARRAY['infinity'::date];
  END IF;
  IF los IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('amokpi.history'), 0);
    DELETE FROM kpi.snapshot_days s
     WHERE s.source = 'reconstructed'
       AND EXISTS (SELECT 1 FROM unnest(los, his) r(lo, hi) WHERE s.day >= r.lo AND s.day < r.hi);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER leads_reconstructed_days_upd AFTER UPDATE ON amo.leads REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.drop_reconstructed_days();
CREATE TRIGGER leads_reconstructed_days_del AFTER DELETE ON amo.leads REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.drop_reconstructed_days();
CREATE TRIGGER leads_reconstructed_days_trunc AFTER TRUNCATE ON amo.leads
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.drop_reconstructed_days();

-- Down Migration
DROP TRIGGER IF EXISTS leads_reconstructed_days_upd ON amo.leads;
DROP TRIGGER IF EXISTS leads_reconstructed_days_del ON amo.leads;
DROP TRIGGER IF EXISTS leads_reconstructed_days_trunc ON amo.leads;
DROP FUNCTION IF EXISTS kpi.drop_reconstructed_days();
DROP FUNCTION IF EXISTS kpi.counted_until(bigint, boolean, timestamptz);
