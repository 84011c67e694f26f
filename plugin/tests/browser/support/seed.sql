-- A small agency, hand-built so every figure the browser test checks can be worked out on paper.
-- The ETL's clock is frozen at 2026-03-15 12:00 Moscow (AMOKPI_NOW).
INSERT INTO amo.account (id, name, subdomain, currency, timezone, raw)
VALUES (1, 'Агентство', 'agency', 'RUB', 'Europe/Moscow', '{}');

INSERT INTO amo.users (id, name, email, is_active, raw) VALUES
  (101, 'Анна Смирнова', 'anna@agency.example', true, '{}'),
  (102, 'Борис Петров', 'boris@agency.example', true, '{}');

INSERT INTO amo.pipelines (id, name, sort, is_main) VALUES (7, 'Продажи', 1, true);
INSERT INTO amo.statuses (pipeline_id, id, name, sort, type) VALUES
  (7, 69, 'Неразобранное', 0, 1),
  (7, 70, 'Первичный контакт', 10, 0),
  (7, 71, 'Переговоры', 20, 0),
  (7, 142, 'Успешно реализовано', 100, 0),
  (7, 143, 'Закрыто и не реализовано', 110, 0);

-- Anna won 300 000 + 200 000 in March (no status events: win time = closed_at, status = current).
-- Boris has two active deals: 1003 with two open tasks (one overdue), 1004 with none.
INSERT INTO amo.leads (id, name, price, responsible_user_id, pipeline_id, status_id, created_by, created_at, updated_at, closed_at) VALUES
  (1001, 'Окна для школы', 300000, 101, 7, 142, 101, '2026-02-20T10:00:00+03:00', '2026-03-05T10:00:00+03:00', '2026-03-05T10:00:00+03:00'),
  (1002, 'Двери для офиса', 200000, 101, 7, 142, 101, '2026-02-25T10:00:00+03:00', '2026-03-10T16:00:00+03:00', '2026-03-10T16:00:00+03:00'),
  (1003, 'Крыша склада', 150000, 102, 7, 71, 102, '2026-02-01T09:00:00+03:00', '2026-02-01T09:00:00+03:00', NULL),
  (1004, 'Забор', 80000, 102, 7, 70, 102, '2026-03-10T11:00:00+03:00', '2026-03-10T11:00:00+03:00', NULL);

INSERT INTO amo.tasks (id, responsible_user_id, entity_id, entity_type, task_type_id, text, is_completed, complete_till, created_at, updated_at) VALUES
  (5001, 102, 1003, 'leads', 1, 'Позвонить', false, '2026-03-14T18:00:00+03:00', '2026-03-01T10:00:00+03:00', '2026-03-01T10:00:00+03:00'),
  (5002, 102, 1003, 'leads', 1, 'Отправить смету', false, '2026-03-20T18:00:00+03:00', '2026-03-01T10:00:00+03:00', '2026-03-01T10:00:00+03:00');

-- The last syncs finished at 11:53 and 11:55: the board is as fresh as its stalest stream, 7 minutes.
INSERT INTO app.sync_runs (stream, mode, started_at, finished_at, fetched, upserted, requests) VALUES
  ('leads', 'incremental', '2026-03-15T11:52:00+03:00', '2026-03-15T11:53:00+03:00', 4, 4, 1),
  ('users', 'incremental', '2026-03-15T11:54:00+03:00', '2026-03-15T11:55:00+03:00', 2, 2, 1);
