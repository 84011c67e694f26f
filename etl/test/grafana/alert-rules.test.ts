import { createTestDatabase, type TestDatabase } from '../support/db';
import { rule, type ProvisionedRule, ignoreTerminationOnDrop } from './files';

/**
 * Runs each provisioned alert rule the way Grafana evaluates it: the rule's SQL on real Postgres as the
 * read-only role Grafana logs in as, the time_series frame split into one series per row (string columns
 * become labels, the numeric column the value), then the rule's reduce and threshold expressions.
 */
async function evaluate(db: TestDatabase['db'], r: ProvisionedRule): Promise<{ labels: Record<string, string>; value: number; firing: boolean }[]> {
  const byRef = new Map(r.data.map((d) => [d.refId, d]));
  const cond = byRef.get(r.condition)!;
  expect(cond.model.type).toBe('threshold');
  const reduce = byRef.get(cond.model.expression)!;
  expect(reduce.model).toMatchObject({ type: 'reduce', reducer: 'last' });
  const query = byRef.get(reduce.model.expression)!;
  expect(query.model).toMatchObject({ format: 'time_series', rawQuery: true });
  const sql: string = query.model.rawSql;
  expect(sql).not.toMatch(/\$__|\$\{|\[\[/); // no Grafana macros/variables that this harness would have to expand

  const rows = await db.tx(async (t) => {
    await t.none('SET LOCAL ROLE amokpi_grafana');
    return t.any(sql);
  });
  const evaluator = cond.model.conditions[0].evaluator as { type: string; params: number[] };
  return rows.map((row: Record<string, unknown>) => {
    expect(row.time).toBeInstanceOf(Date);
    const labels: Record<string, string> = {};
    const values: number[] = [];
    for (const [k, v] of Object.entries(row)) {
      if (k === 'time') continue;
      if (typeof v === 'string') labels[k] = v;
      else if (typeof v === 'number') values.push(v);
      else throw new Error(`column ${k} is neither a label (text) nor a value (number): ${String(v)}`);
    }
    expect(values).toHaveLength(1);
    const value = values[0]!;
    const [p] = evaluator.params as [number];
    if (evaluator.type !== 'gt' && evaluator.type !== 'lt') throw new Error(`evaluator ${evaluator.type} not handled by this harness`);
    const firing = evaluator.type === 'gt' ? value > p : value < p;
    return { labels, value, firing };
  });
}

const firingManagers = (res: Awaited<ReturnType<typeof evaluate>>) => res.filter((s) => s.firing).map((s) => s.labels.manager).sort();

describe('alert rules on real Postgres', () => {
  let t: TestDatabase;
  const PAST = "now() - interval '2 days'";
  const FUTURE = "now() + interval '2 days'";
  let leadSeq = 1000;
  let taskSeq = 5000;

  async function lead(manager: number, opts: { status?: number; deleted?: boolean } = {}): Promise<number> {
    const id = ++leadSeq;
    await t.db.none(
      `INSERT INTO amo.leads (id, name, price, responsible_user_id, pipeline_id, status_id, created_at, updated_at, deleted_at)
       VALUES ($1, $2, 1000, $3, 10, $4, now() - interval '20 days', now(), ${opts.deleted ? 'now()' : 'NULL'})`,
      [id, `Сделка ${id}`, manager, opts.status ?? 100],
    );
    return id;
  }
  async function task(manager: number, entityId: number, due: string, opts: { entityType?: string; completed?: boolean } = {}): Promise<number> {
    const id = ++taskSeq;
    await t.db.none(
      `INSERT INTO amo.tasks (id, responsible_user_id, entity_id, entity_type, is_completed, complete_till, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, ${due}, now() - interval '10 days', now())`,
      [id, manager, entityId, opts.entityType ?? 'leads', opts.completed ?? false],
    );
    return id;
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    ignoreTerminationOnDrop(t.db);
    await t.db.none(`
      INSERT INTO amo.users (id, name, is_active, raw) VALUES (1, 'Анна', true, '{}'), (2, 'Борис', true, '{}'), (3, 'Вера', true, '{}');
      INSERT INTO amo.pipelines (id, name) VALUES (10, 'Продажи');
      INSERT INTO amo.statuses (pipeline_id, id, name, type) VALUES
        (10, 99, 'Неразобранное', 1), (10, 100, 'Переговоры', 0), (10, 142, 'Успешно', 0), (10, 143, 'Закрыто', 0);
    `);
    // Анна: 6 overdue open tasks on active leads (above 5) and 2 due later; no lead without a task.
    for (let i = 0; i < 6; i++) await task(1, await lead(1), PAST);
    for (let i = 0; i < 2; i++) await task(1, await lead(1), FUTURE);
    // Борис: exactly 5 overdue (not above 5), 11 active leads without tasks (above 10).
    for (let i = 0; i < 5; i++) await task(2, await lead(2), PAST);
    for (let i = 0; i < 11; i++) await lead(2);
    // Вера: overdue tasks that must not count (won, lost, deleted, unsorted leads; contacts; completed),
    // and 10 leads without tasks (not above 10) plus bare leads that are not active.
    for (const status of [142, 143, 99]) for (let i = 0; i < 3; i++) await task(3, await lead(3, { status }), PAST);
    for (let i = 0; i < 3; i++) await task(3, await lead(3, { deleted: true }), PAST);
    for (let i = 0; i < 3; i++) await task(3, 77 + i, PAST, { entityType: 'contacts' });
    for (let i = 0; i < 3; i++) await task(3, await lead(3), PAST, { completed: true });
    for (let i = 0; i < 7; i++) await lead(3); // with the 3 above whose only task is completed: 10 bare active leads
    for (let i = 0; i < 4; i++) await lead(3, { status: 142 });
    for (let i = 0; i < 2; i++) await lead(3, { deleted: true });
  });
  afterAll(() => t.drop());

  it('overdue tasks: fires for the manager above the threshold only, labelled by manager', async () => {
    const r = rule('amokpi-overdue-tasks');
    const res = await evaluate(t.db, r);
    expect(firingManagers(res)).toEqual(['Анна']);
    const anna = res.find((s) => s.labels.manager === 'Анна')!;
    expect(anna).toEqual({ labels: { manager: 'Анна', manager_id: '1' }, value: 6, firing: true });
    expect(res.find((s) => s.labels.manager === 'Борис')).toMatchObject({ value: 5, firing: false });
    expect(res.find((s) => s.labels.manager === 'Вера')?.value ?? 0).toBe(0);
    expect(r.labels).toMatchObject({ source: 'amokpi' });
  });

  it('leads without tasks: fires for the manager above the threshold only', async () => {
    const res = await evaluate(t.db, rule('amokpi-leads-without-tasks'));
    expect(firingManagers(res)).toEqual(['Борис']);
    expect(res.find((s) => s.labels.manager === 'Борис')!.value).toBe(11);
    expect(res.find((s) => s.labels.manager === 'Вера')).toMatchObject({ value: 10, firing: false });
  });

  it('goes quiet once the figure drops back, and names a manager unknown to amo.users by id', async () => {
    await t.db.none(
      "UPDATE amo.tasks SET is_completed = true WHERE id IN (SELECT id FROM amo.tasks WHERE responsible_user_id = 1 AND complete_till < now() AND NOT is_completed ORDER BY id LIMIT 1)",
    );
    expect(firingManagers(await evaluate(t.db, rule('amokpi-overdue-tasks')))).toEqual([]);
    for (let i = 0; i < 6; i++) await task(42, await lead(42), PAST);
    const res = await evaluate(t.db, rule('amokpi-overdue-tasks'));
    expect(res.filter((s) => s.firing).map((s) => s.labels)).toEqual([{ manager: 'id 42', manager_id: '42' }]);
  });

  it('stale data: fires with no successful sync in 30 minutes, quiet after a recent one', async () => {
    const r = rule('amokpi-stale-data');
    await t.db.none('DELETE FROM app.sync_runs');
    let res = await evaluate(t.db, r);
    expect(res).toHaveLength(1);
    expect(res[0]!.firing).toBe(true); // never synced

    await t.db.none(`INSERT INTO app.sync_runs (stream, started_at, finished_at) VALUES ('leads', now() - interval '46 minutes', now() - interval '45 minutes')`);
    // A failed run and a run still going are not successful syncs.
    await t.db.none(`INSERT INTO app.sync_runs (stream, started_at, finished_at, error) VALUES ('leads', now() - interval '2 minutes', now() - interval '1 minute', 'HTTP 500')`);
    await t.db.none(`INSERT INTO app.sync_runs (stream, started_at) VALUES ('events', now() - interval '1 minute')`);
    res = await evaluate(t.db, r);
    expect(res[0]!.firing).toBe(true);
    expect(Math.round(res[0]!.value)).toBe(45);

    await t.db.none(`INSERT INTO app.sync_runs (stream, started_at, finished_at) VALUES ('events', now() - interval '11 minutes', now() - interval '10 minutes')`);
    res = await evaluate(t.db, r);
    expect(res[0]!.firing).toBe(false);
    expect(Math.round(res[0]!.value)).toBe(10);
  });
});

describe('the read-only database role', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    ignoreTerminationOnDrop(t.db);
  });
  afterAll(() => t.drop());

  const asGrafana = <T>(sql: string) =>
    t.db.tx(async (tx) => {
      await tx.none('SET LOCAL ROLE amokpi_grafana');
      return tx.any<T>(sql);
    });

  it('reads the KPI views, the amoCRM copy and the sync runs', async () => {
    await expect(asGrafana('SELECT * FROM kpi.manager_tasks_now')).resolves.toEqual([]);
    await expect(asGrafana('SELECT count(*)::int AS n FROM amo.leads')).resolves.toEqual([{ n: 0 }]);
    await expect(asGrafana('SELECT count(*)::int AS n FROM app.sync_runs')).resolves.toEqual([{ n: 0 }]);
  });

  it('cannot write, and cannot read the OAuth tokens', async () => {
    await expect(asGrafana("INSERT INTO app.sync_runs (stream) VALUES ('x')")).rejects.toThrow(/permission denied|read-only/);
    await expect(asGrafana('DELETE FROM amo.leads')).rejects.toThrow(/permission denied|read-only/);
    await expect(asGrafana('SELECT * FROM app.oauth_tokens')).rejects.toThrow(/permission denied/);
    const settings = await t.db.one("SELECT rolconfig FROM pg_roles WHERE rolname = 'amokpi_grafana'");
    expect(settings.rolconfig).toEqual(expect.arrayContaining(['default_transaction_read_only=on', 'statement_timeout=30s']));
  });

  it('tables created by later migrations of kpi are readable too (default privileges)', async () => {
    await t.db.none('CREATE TABLE kpi.later_table (x int)');
    await expect(asGrafana('SELECT * FROM kpi.later_table')).resolves.toEqual([]);
  });
});
