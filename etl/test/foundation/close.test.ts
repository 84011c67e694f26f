import { openDatabase } from '../../src/db';
import { createTestDatabase, type TestDatabase } from '../support/db';

type PgClient = { connection: { stream: { destroyed: boolean } } };

describe('closing the database', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  async function openWithClients() {
    const database = await openDatabase({ databaseUrl: t.url, dataDir: '/nonexistent' });
    const clients: PgClient[] = [];
    database.db.$pool.on('connect', (c: PgClient) => void clients.push(c));
    await Promise.all([1, 2, 3, 4, 5].map(() => database.db.one('SELECT pg_sleep(0.05)')));
    expect(clients).toHaveLength(5);
    return { database, clients };
  }

  async function sessionsLeft(): Promise<number> {
    const r = await t.db.one("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'amokpi'");
    return r.n;
  }

  // pg-pool resolves end() before its sockets close; the embedded server is stopped right after close(), and a
  // connection it terminates must not be left without a listener (the demo died of exactly that on Ctrl-C).
  it('resolves only after every idle connection has closed', async () => {
    const { database, clients } = await openWithClients();
    await database.close();
    expect(clients.filter((c) => !c.connection.stream.destroyed)).toHaveLength(0);
  });

  it('waits for a query still running, then closes its connection too', async () => {
    const { database, clients } = await openWithClients();
    const busy = database.db.one('SELECT pg_sleep(0.3) AS x');
    await new Promise((r) => setTimeout(r, 50));
    await database.close();
    await expect(busy).resolves.toEqual({ x: '' });
    expect(clients.filter((c) => !c.connection.stream.destroyed)).toHaveLength(0);
    for (let i = 0; i < 20 && (await sessionsLeft()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await sessionsLeft()).toBe(0);
  });
});
