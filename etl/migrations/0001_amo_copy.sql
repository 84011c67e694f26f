-- Up Migration
-- A faithful copy of one amoCRM account. Column names follow the API; times are timestamptz
-- (the API's Unix seconds), raw payloads are kept for fields the KPIs do not read yet.
CREATE SCHEMA IF NOT EXISTS amo;

CREATE TABLE amo.account (
  id          bigint PRIMARY KEY,
  name        text NOT NULL,
  subdomain   text,
  currency    text NOT NULL,
  timezone    text NOT NULL,
  raw         jsonb NOT NULL,
  synced_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE amo.users (
  id          bigint PRIMARY KEY,
  name        text NOT NULL,
  email       text,
  is_active   boolean NOT NULL,
  raw         jsonb NOT NULL
);

CREATE TABLE amo.pipelines (
  id          bigint PRIMARY KEY,
  name        text NOT NULL,
  sort        integer NOT NULL DEFAULT 0,
  is_main     boolean NOT NULL DEFAULT false,
  is_archive  boolean NOT NULL DEFAULT false
);

CREATE TABLE amo.statuses (
  pipeline_id bigint NOT NULL,
  id          bigint NOT NULL,
  name        text NOT NULL,
  sort        integer NOT NULL DEFAULT 0,
  type        integer NOT NULL DEFAULT 0, -- 1 = unsorted (incoming)
  PRIMARY KEY (pipeline_id, id)
);

-- deleted_at is set when the ETL learns of a deletion (trash list, lead_deleted event, nightly set
-- difference); every KPI ignores leads whose deleted_at is not null.
CREATE TABLE amo.leads (
  id                   bigint PRIMARY KEY,
  name                 text,
  price                bigint NOT NULL DEFAULT 0,
  responsible_user_id  bigint,
  pipeline_id          bigint,
  status_id            bigint,
  created_by           bigint,
  created_at           timestamptz,
  updated_at           timestamptz,
  closed_at            timestamptz,
  deleted_at           timestamptz,
  raw                  jsonb
);
CREATE INDEX leads_updated_at ON amo.leads (updated_at);
CREATE INDEX leads_responsible ON amo.leads (responsible_user_id) WHERE deleted_at IS NULL;
CREATE INDEX leads_stage ON amo.leads (pipeline_id, status_id) WHERE deleted_at IS NULL;

CREATE TABLE amo.tasks (
  id                   bigint PRIMARY KEY,
  responsible_user_id  bigint,
  entity_id            bigint,
  entity_type          text,
  task_type_id         bigint,
  text                 text,
  is_completed         boolean NOT NULL DEFAULT false,
  complete_till        timestamptz,
  created_at           timestamptz,
  updated_at           timestamptz,
  raw                  jsonb
);
CREATE INDEX tasks_open_by_entity ON amo.tasks (entity_type, entity_id) WHERE NOT is_completed;
CREATE INDEX tasks_updated_at ON amo.tasks (updated_at);

-- Events are immutable; their id is a string in the API. The lead-status columns are extracted once
-- here so that status-history queries over millions of events use plain btree indexes.
CREATE TABLE amo.events (
  id            text PRIMARY KEY,
  type          text NOT NULL,
  entity_id     bigint,
  entity_type   text,
  created_by    bigint,
  created_at    timestamptz NOT NULL,
  value_before  jsonb,
  value_after   jsonb,
  before_pipeline_id bigint GENERATED ALWAYS AS (((value_before -> 0 -> 'lead_status' ->> 'pipeline_id'))::bigint) STORED,
  before_status_id   bigint GENERATED ALWAYS AS (((value_before -> 0 -> 'lead_status' ->> 'id'))::bigint) STORED,
  after_pipeline_id  bigint GENERATED ALWAYS AS (((value_after -> 0 -> 'lead_status' ->> 'pipeline_id'))::bigint) STORED,
  after_status_id    bigint GENERATED ALWAYS AS (((value_after -> 0 -> 'lead_status' ->> 'id'))::bigint) STORED
);
CREATE INDEX events_type_created ON amo.events (type, created_at);
CREATE INDEX events_status_by_lead ON amo.events (entity_id, created_at, id) WHERE type = 'lead_status_changed';

-- Call notes from /leads/notes and /contacts/notes (note ids are per entity type, hence the pair key).
CREATE TABLE amo.notes (
  entity_type          text NOT NULL, -- 'leads' | 'contacts'
  id                   bigint NOT NULL,
  entity_id            bigint,
  note_type            text NOT NULL,
  responsible_user_id  bigint,
  created_by           bigint,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz,
  duration_seconds     integer NOT NULL DEFAULT 0,
  uniq                 text,
  params               jsonb,
  PRIMARY KEY (entity_type, id)
);
CREATE INDEX notes_created_at ON amo.notes (created_at);

-- Down Migration
DROP SCHEMA amo CASCADE;
