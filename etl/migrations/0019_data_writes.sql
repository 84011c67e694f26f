-- Up Migration
-- Every transaction that writes what a KPI answer reads (the amo and kpi schemas, the plans) notes its id here, once.
-- An API process keeps the answers it sent together with the snapshot they were computed at or after; a later
-- request asks, in the same query that reads the account's zone, whether any transaction that wrote is visible now
-- and was not in that snapshot (app.written_since). Ids rather than a counter: writers never wait on one row, and a
-- transaction that commits after a later one cannot slip between a counter's reads.
CREATE TABLE app.data_writes (xid xid8 PRIMARY KEY);

-- The snapshot's xmin at each trim: a trim removes the ids below a mark at least an hour old. Every such transaction
-- had ended when the mark was taken, so a snapshot taken since sees it; an API process drops what it kept under a
-- snapshot older than ten minutes rather than ask (api/answer-cache.ts), so no one asks about the removed ids.
CREATE TABLE app.data_write_marks (at timestamptz PRIMARY KEY, oldest xid8 NOT NULL);

CREATE FUNCTION app.note_data_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Once per transaction in effect: a second statement finds the id in the index and inserts nothing.
  INSERT INTO app.data_writes (xid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

-- Whether a transaction not visible in p_since has written and is visible now; true for no snapshot at all.
CREATE FUNCTION app.written_since(p_since pg_snapshot) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT p_since IS NULL OR EXISTS (
    SELECT 1 FROM app.data_writes w
     WHERE w.xid >= pg_snapshot_xmin(p_since) AND NOT pg_visible_in_snapshot(w.xid, p_since))
$$;

CREATE FUNCTION app.trim_data_writes() RETURNS void LANGUAGE sql AS $$
  INSERT INTO app.data_write_marks (at, oldest) VALUES (clock_timestamp(), pg_snapshot_xmin(pg_current_snapshot()))
    ON CONFLICT DO NOTHING;
  DELETE FROM app.data_writes
   WHERE xid < (SELECT max(m.oldest) FROM app.data_write_marks m WHERE m.at < clock_timestamp() - interval '1 hour');
  DELETE FROM app.data_write_marks
   WHERE at < (SELECT max(m.at) FROM app.data_write_marks m WHERE m.at < clock_timestamp() - interval '1 hour');
  -- A committed id is below the snapshot's xmax: one above it came with a dump from another cluster, and would make
  -- every check say "written" for good.
  DELETE FROM app.data_writes WHERE xid >= pg_snapshot_xmax(pg_current_snapshot());
$$;

-- Statement triggers: a statement that changes no row notes a write too, which only costs an answer computed again.
-- app.kpi_input_tables() names the tables (a test checks that each has the trigger, later migrations included).
CREATE FUNCTION app.kpi_input_tables() RETURNS TABLE (rel regclass) LANGUAGE sql STABLE AS $$
  SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND (n.nspname IN ('amo', 'kpi') OR c.oid = 'app.plans'::regclass)
$$;

DO $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT rel FROM app.kpi_input_tables() LOOP
    EXECUTE format('CREATE TRIGGER note_data_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION app.note_data_write()', t);
  END LOOP;
END $$;

-- Down Migration
DO $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT rel FROM app.kpi_input_tables() LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS note_data_write ON %s', t);
  END LOOP;
END $$;
DROP FUNCTION IF EXISTS app.kpi_input_tables();
DROP FUNCTION IF EXISTS app.trim_data_writes();
DROP FUNCTION IF EXISTS app.written_since(pg_snapshot);
DROP FUNCTION IF EXISTS app.note_data_write();
DROP TABLE IF EXISTS app.data_write_marks;
DROP TABLE IF EXISTS app.data_writes;
