-- Up Migration
-- Plans per pipeline (optional): a plan is keyed by (month, manager, pipeline). pipeline_id 0 means "no
-- pipeline", the manager's overall plan, like pipeline_id 0 in kpi.snapshot_days: a key column cannot be
-- NULL, and amoCRM pipeline ids are positive. Existing rows become overall plans through the default, and
-- writers that do not know about pipelines (INSERT without the column) keep writing overall plans.
-- ADD COLUMN keeps the table's grants, so amokpi_grafana (0009) still reads both tables.
ALTER TABLE app.plans ADD COLUMN pipeline_id bigint NOT NULL DEFAULT 0 CHECK (pipeline_id >= 0);
ALTER TABLE app.plans DROP CONSTRAINT plans_pkey;
ALTER TABLE app.plans ADD CONSTRAINT plans_pkey PRIMARY KEY (month, manager_id, pipeline_id);

ALTER TABLE app.plan_audit ADD COLUMN pipeline_id bigint NOT NULL DEFAULT 0 CHECK (pipeline_id >= 0);

-- Down Migration
-- The old key has no room for pipeline plans: they and their audit rows go, overall plans stay.
DELETE FROM app.plans WHERE pipeline_id <> 0;
DELETE FROM app.plan_audit WHERE pipeline_id <> 0;
ALTER TABLE app.plan_audit DROP COLUMN pipeline_id;
ALTER TABLE app.plans DROP CONSTRAINT plans_pkey;
ALTER TABLE app.plans DROP COLUMN pipeline_id;
ALTER TABLE app.plans ADD CONSTRAINT plans_pkey PRIMARY KEY (month, manager_id);
