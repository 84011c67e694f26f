-- Up Migration
-- The Grafana role's sessions (alert rules, ETL-health panels) run the KPI functions too: JIT off and no parallel
-- workers for them, as migration 0003 sets on the database and the ETL on its own sessions. The database
-- setting alone is missing wherever the migration could not alter the database; a role setting wins over it.
-- Best effort, as in 0009: a role this migration cannot alter keeps its settings, with a NOTICE.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'amokpi_grafana') THEN
    BEGIN
      ALTER ROLE amokpi_grafana SET jit = off;
      ALTER ROLE amokpi_grafana SET max_parallel_workers_per_gather = 0;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'amokpi_grafana: role settings left unchanged (no privilege over the role)';
    END;
  END IF;
END
$$;

-- Down Migration
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'amokpi_grafana') THEN
    BEGIN
      ALTER ROLE amokpi_grafana RESET jit;
      ALTER ROLE amokpi_grafana RESET max_parallel_workers_per_gather;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'amokpi_grafana: role settings left unchanged (no privilege over the role)';
    END;
  END IF;
END
$$;
