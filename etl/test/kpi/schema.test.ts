import { createTestDatabase, type TestDatabase } from '../support/db';

describe('kpi schema', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('exposes kpi.manager_tasks_now with the columns the alert rules read', async () => {
    const cols = await t.db.any(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'kpi' AND table_name = 'manager_tasks_now' ORDER BY ordinal_position",
    );
    expect(cols).toEqual([
      { column_name: 'manager_id', data_type: 'bigint' },
      { column_name: 'manager_name', data_type: 'text' },
      { column_name: 'open_tasks', data_type: 'integer' },
      { column_name: 'overdue_tasks', data_type: 'integer' },
      { column_name: 'leads_without_tasks', data_type: 'integer' },
    ]);
  });
});
