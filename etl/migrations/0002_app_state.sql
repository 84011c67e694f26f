-- Up Migration
CREATE SCHEMA IF NOT EXISTS app;

-- One cursor per stream, committed in the same transaction as the page it follows.
CREATE TABLE app.sync_state (
  stream      text PRIMARY KEY,
  cursor      jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE app.sync_runs (
  id           bigserial PRIMARY KEY,
  stream       text NOT NULL,
  mode         text NOT NULL DEFAULT 'incremental', -- incremental | full
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  fetched      integer NOT NULL DEFAULT 0,
  upserted     integer NOT NULL DEFAULT 0,
  deleted      integer NOT NULL DEFAULT 0,
  requests     integer NOT NULL DEFAULT 0,
  throttled    integer NOT NULL DEFAULT 0, -- 429 answers
  error        text
);
CREATE INDEX sync_runs_stream_started ON app.sync_runs (stream, started_at DESC);

-- The OAuth token pair: exactly one row, refreshed under SELECT ... FOR UPDATE so that two processes
-- never spend the same single-use refresh token.
CREATE TABLE app.oauth_tokens (
  id             integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  base_url       text NOT NULL,
  access_token   text NOT NULL,
  refresh_token  text NOT NULL,
  expires_at     timestamptz NOT NULL,
  refreshed_at   timestamptz NOT NULL DEFAULT now()
);

-- Monthly plans per manager; month is the first day of the month.
CREATE TABLE app.plans (
  month       date NOT NULL CHECK (extract(day FROM month) = 1),
  manager_id  bigint NOT NULL,
  amount      bigint NOT NULL CHECK (amount >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text NOT NULL DEFAULT 'unknown',
  PRIMARY KEY (month, manager_id)
);

CREATE TABLE app.plan_audit (
  id          bigserial PRIMARY KEY,
  month       date NOT NULL,
  manager_id  bigint NOT NULL,
  old_amount  bigint,
  new_amount  bigint,
  changed_by  text NOT NULL,
  changed_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP SCHEMA app CASCADE;
