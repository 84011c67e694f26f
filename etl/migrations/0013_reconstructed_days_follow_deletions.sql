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
CREATE FUNCTION kpi.drop_reconstructed_days() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed boolean;
  first_created timestamptz;
BEGIN
  -- Transition tables exist only for the operations that have them, hence one statement per operation.
  IF TG_OP = 'UPDATE' THEN
    SELECT bool_or(true), min(coalesce(n.created_at, '-infinity')) INTO changed, first_created
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE (n.deleted_at IS NULL) <> (o.deleted_at IS NULL);
  ELSIF TG_OP = 'DELETE' THEN
    SELECT bool_or(true), min(coalesce(o.created_at, '-infinity')) INTO changed, first_created
      FROM old_rows o WHERE o.deleted_at IS NULL;
  ELSE -- TRUNCATE; '-infinity' minus a day is '-infinity': every reconstructed day goes
    changed := true;
    first_created := '-infinity';
  END IF;
  IF changed THEN
    PERFORM pg_advisory_xact_lock(hashtext('amokpi.history'), 0);
    DELETE FROM kpi.snapshot_days
     WHERE source = 'reconstructed' AND day >= (first_created AT TIME ZONE 'UTC')::date - 1;
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
