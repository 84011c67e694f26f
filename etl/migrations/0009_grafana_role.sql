-- Up Migration
-- The read-only role Grafana's PostgreSQL data source logs in as (alert rules, ETL-health panels).
-- Roles are cluster-wide while migrations are per database, so every step tolerates an existing role
-- (another amokpi database on the same cluster, or a concurrent migration). The password is not set
-- here: `amokpi grafana setup` stores it from AMOKPI_GRAFANA_DB_PASSWORD, so it never sits in git.
-- A non-superuser owner without CREATEROLE cannot create roles: then this migration only grants to a
-- role a DBA created, or skips with a NOTICE, instead of failing the whole upgrade.
DO $$
DECLARE
  s text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'amokpi_grafana') THEN
    BEGIN
      CREATE ROLE amokpi_grafana LOGIN NOINHERIT CONNECTION LIMIT 20;
    EXCEPTION
      WHEN insufficient_privilege THEN
        RAISE NOTICE 'amokpi_grafana: no privilege to create roles; ask a DBA to run CREATE ROLE amokpi_grafana LOGIN, then amokpi migrate grants to it on the next schema change';
        RETURN;
      WHEN duplicate_object OR unique_violation THEN
        NULL; -- created concurrently by a migration of another database
    END;
  END IF;

  -- Belt and braces: even a granted INSERT would fail, and runaway panel queries are cut off.
  BEGIN
    ALTER ROLE amokpi_grafana SET default_transaction_read_only = on;
    ALTER ROLE amokpi_grafana SET statement_timeout = '30s';
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'amokpi_grafana: role settings left unchanged (no privilege over the role)';
  END;

  EXECUTE format('GRANT CONNECT ON DATABASE %I TO amokpi_grafana', current_database());

  -- Every amokpi schema except app is KPI data or its source copy: readable, now and later.
  FOR s IN SELECT nspname FROM pg_namespace
           WHERE nspname IN ('amo', 'kpi', 'snapshots', 'history') OR nspname LIKE 'kpi\_%'
  LOOP
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO amokpi_grafana', s);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO amokpi_grafana', s);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO amokpi_grafana', s);
  END LOOP;

  -- app holds the OAuth refresh token: grant the operational tables one by one, never the whole schema.
  IF to_regnamespace('app') IS NOT NULL THEN
    GRANT USAGE ON SCHEMA app TO amokpi_grafana;
    FOR s IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'app' AND c.relkind IN ('r', 'v', 'm', 'p')
               AND c.relname IN ('sync_runs', 'sync_state', 'plans', 'plan_audit', 'snapshots', 'snapshot_days')
    LOOP
      EXECUTE format('GRANT SELECT ON app.%I TO amokpi_grafana', s);
    END LOOP;
    REVOKE ALL ON app.oauth_tokens FROM amokpi_grafana;
  END IF;
END
$$;

-- Down Migration
DO $$
DECLARE
  s text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'amokpi_grafana') THEN
    RETURN;
  END IF;
  FOR s IN SELECT nspname FROM pg_namespace
           WHERE nspname IN ('amo', 'kpi', 'snapshots', 'history', 'app') OR nspname LIKE 'kpi\_%'
  LOOP
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE SELECT ON TABLES FROM amokpi_grafana', s);
    EXECUTE format('REVOKE SELECT ON ALL TABLES IN SCHEMA %I FROM amokpi_grafana', s);
    EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM amokpi_grafana', s);
  END LOOP;
  EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM amokpi_grafana', current_database());
  -- The role itself stays: other databases on the cluster may still use it.
END
$$;
