import { AnswerCache, KEPT_SNAPSHOT_MAX_AGE_MS } from '../../src/api/answer-cache';
import type { Db } from '../../src/db';
import { ADMIN_TOKEN, ANNA, API_TOKEN, leadWriters, SALES, testConfig } from '../kpi/fixture';
import { serve, useSeededAccount } from '../kpi/http';

/** The SQL of every call the server makes on its database handle, in order. */
function queryLog(db: Db): { db: Db; sql: string[] } {
  const sql: string[] = [];
  const logged = new Proxy(db, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string' || !/^(any|one|oneOrNone|none|many|manyOrNone|result|multiResult|query|task|tx)$/.test(key)) return value;
      return (...args: unknown[]) => {
        sql.push(typeof args[0] === 'string' ? args[0] : key);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { db: logged, sql };
}

const PAST = '2026-11-20';
/** Every answer the API keeps, and today's board, which it does not. */
const KEPT = [
  '/api/v1/kpi/stale-deals?minDays=0',
  `/api/v1/kpi/stale-deals?managerId=${ANNA}`,
  '/api/v1/kpi/stale-deals?limit=1',
  '/api/v1/kpi/activity',
  `/api/v1/kpi/activity?managerId=${ANNA}`,
  `/api/v1/kpi/managers?date=${PAST}`,
  `/api/v1/kpi/department?date=${PAST}`,
];
const TODAY = ['/api/v1/kpi/managers', '/api/v1/kpi/department'];

describe('KPI API: answers kept until a transaction writes what they read (migration 0019)', () => {
  const { t } = useSeededAccount();
  let keeping: Awaited<ReturnType<typeof serve>>;
  let plain: Awaited<ReturnType<typeof serve>>;
  let log: { db: Db; sql: string[] };

  beforeAll(async () => {
    log = queryLog(t.db);
    keeping = await serve(testConfig(), log.db);
    plain = await serve(testConfig({ AMOKPI_ANSWER_CACHE_MB: '0' }), t.db);
  });
  afterAll(async () => {
    await keeping.server.close();
    await plain.server.close();
  });

  const stats = async (api: typeof keeping) => (await api.get('/healthz/answers', null)).json;

  /** Every path answers the same bytes from the server that keeps answers as from one that computes each. */
  async function expectSameAsComputed(paths: string[]): Promise<void> {
    for (const path of paths) {
      const [kept, computed] = [await keeping.get(path), await plain.get(path)];
      expect({ path, status: kept.status, text: kept.text }).toEqual({ path, status: 200, text: computed.text });
    }
  }

  it('sends a kept answer again after one query, the check; today’s board is computed each time', async () => {
    // Twice: the first stuck-deal or activity request makes the board's zone the kept one, a write.
    for (let i = 0; i < 2; i++) for (const path of [...KEPT, ...TODAY]) expect((await keeping.get(path)).status).toBe(200);
    const before = await stats(keeping);
    for (const path of KEPT) {
      log.sql.length = 0;
      expect((await keeping.get(path)).status).toBe(200);
      expect(log.sql).toHaveLength(1);
      expect(log.sql[0]).toMatch(/app\.written_since/);
    }
    const after = await stats(keeping);
    expect(after.generation).toBe(before.generation);
    expect(after.hits - before.hits).toBe(KEPT.length);
    expect(after.answers).toBe(KEPT.length);
    for (const path of TODAY) {
      log.sql.length = 0;
      expect((await keeping.get(path)).status).toBe(200);
      expect(log.sql.length).toBeGreaterThan(1);
    }
    await expectSameAsComputed([...KEPT, ...TODAY]);
  });

  it.each([
    ['a lead’s price', 'UPDATE amo.leads SET price = price + 1000 WHERE id = 10'],
    ['a manager’s name', `UPDATE amo.users SET name = name || ' K.' WHERE id = ${ANNA}`],
    ['a stage’s name', "UPDATE amo.statuses SET name = name || ' (2)' WHERE id = 1003"],
    ['a call note', "UPDATE amo.notes SET duration_seconds = duration_seconds + 600 WHERE note_type IN ('call_in', 'call_out')"],
    ['a plan of the past day’s month', `UPDATE app.plans SET amount = amount + 5000 WHERE manager_id = ${ANNA} AND month = '2026-11-01'`],
    ['the account’s currency', "UPDATE amo.account SET currency = 'USD'"],
  ])('%s written: the next answers are computed anew', async (_what, write) => {
    for (const path of KEPT) await keeping.get(path);
    const before = (await Promise.all(KEPT.map((p) => keeping.get(p)))).map((r) => r.text);
    const { generation } = await stats(keeping);
    await t.db.none(write);
    await expectSameAsComputed(KEPT);
    expect((await stats(keeping)).generation).toBeGreaterThan(generation);
    // The write shows in some answer (else this case proves nothing).
    const after = (await Promise.all(KEPT.map((p) => keeping.get(p)))).map((r) => r.text);
    expect(after).not.toEqual(before);
  });

  it('a plan saved through the API shows on the past day’s board at once', async () => {
    const path = `/api/v1/kpi/managers?date=${PAST}`;
    await keeping.get(path);
    const put = await keeping.call('PUT', `/api/v1/plans/2026-11/${ANNA}`, { token: ADMIN_TOKEN, body: { amount: 777_000 } });
    expect(put.status).toBe(200);
    const row = (await keeping.get(path)).json.rows.find((r: { managerId: number }) => r.managerId === ANNA);
    expect(row.planAmount).toBe(777_000);
  });

  it('a transaction that began first and commits after a later one (and after a check) is still seen', async () => {
    const path = '/api/v1/kpi/stale-deals?minDays=0';
    const priceOf = async () => (await keeping.get(path)).json.rows.find((r: { leadId: number }) => r.leadId === 10).price as number;
    const start = await priceOf();
    const first = await t.db.$pool.connect();
    try {
      // The first writer holds the lower transaction id and stays open across a check and a later writer's commit.
      await first.query('BEGIN');
      await first.query('UPDATE amo.leads SET price = price + 1 WHERE id = 10');
      expect(await priceOf()).toBe(start);
      await t.db.none('UPDATE amo.users SET name = name WHERE id = $1', [ANNA]);
      expect(await priceOf()).toBe(start); // the later writer's commit started a generation, computed without the first
      expect(await priceOf()).toBe(start); // and kept
      await first.query('COMMIT');
    } finally {
      first.release();
    }
    expect(await priceOf()).toBe(start + 1);
    await expectSameAsComputed([path]);
  });

  it('a stuck-deal answer kept for the day still says when it was asked', async () => {
    const live = await serve(testConfig({ AMOKPI_NOW: '' }), log.db);
    try {
      const path = '/api/v1/kpi/stale-deals?minDays=0';
      await live.get(path);
      const a = await live.get(path);
      await new Promise((r) => setTimeout(r, 5));
      log.sql.length = 0;
      const b = await live.get(path);
      expect(log.sql).toHaveLength(1);
      expect(b.json.asOf).not.toBe(a.json.asOf);
      expect(Date.parse(b.json.asOf)).toBeGreaterThan(Date.parse(a.json.asOf));
      expect(b.json.rows).toEqual(a.json.rows);
      expect(b.json.rows.length).toBeGreaterThan(0);
      expect(Object.keys(b.json)).toEqual(['asOf', 'rows']);
    } finally {
      await live.server.close();
    }
  });

  it('a stuck-deal answer goes in two writes (asOf, then the kept rows) with the length of both; HEAD gets the length alone', async () => {
    const path = '/api/v1/kpi/stale-deals?minDays=0';
    await keeping.get(path);
    const headers = { authorization: `Bearer ${API_TOKEN}` };
    const got = await fetch(keeping.server.url + path, { headers });
    const body = Buffer.from(await got.arrayBuffer());
    expect(got.headers.get('content-length')).toBe(String(body.byteLength));
    expect(JSON.parse(body.toString('utf8')).rows.length).toBeGreaterThan(0);
    const head = await fetch(keeping.server.url + path, { method: 'HEAD', headers });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(body.byteLength));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('a lead dated after now joins a kept stuck-deal list when now passes it, with nothing written meanwhile', async () => {
    const live = await serve(testConfig({ AMOKPI_NOW: '' }), log.db);
    const path = '/api/v1/kpi/stale-deals?minDays=0';
    const ids = async (): Promise<number[]> => (await live.get(path)).json.rows.map((r: { leadId: number }) => r.leadId);
    try {
      // An integration may set created_at, and amoCRM's clock is not this machine's.
      const soon = Date.now() + 1500;
      await leadWriters(t.db).lead(990, ANNA, 5000, [SALES, 1003], new Date(soon).toISOString());
      for (let i = 0; i < 2; i++) expect(await ids()).not.toContain(990);
      log.sql.length = 0;
      expect(await ids()).not.toContain(990);
      expect(log.sql).toHaveLength(1); // kept: not computed again before the lead's time
      await new Promise((r) => setTimeout(r, Math.max(0, soon - Date.now()) + 20));
      log.sql.length = 0;
      expect(await ids()).toContain(990);
      expect(log.sql.length).toBeGreaterThan(1);
      expect((await stats(live)).generation).toBe(1); // nothing was written: the lead's time alone
    } finally {
      await live.server.close();
      await t.db.none('DELETE FROM amo.leads WHERE id = 990');
    }
  });

  it('with AMOKPI_ANSWER_CACHE_MB=0 nothing is kept', async () => {
    for (const path of KEPT) await plain.get(path);
    expect(await stats(plain)).toMatchObject({ answers: 0, bytes: 0, hits: 0 });
  });
});

describe('AnswerCache on its own', () => {
  const { t } = useSeededAccount();
  const config = () => testConfig();

  it('an answer computed in a generation that has ended is not kept', async () => {
    const cache = new AnswerCache(t.db, config());
    const old = await cache.context();
    await t.db.none('UPDATE amo.leads SET price = price WHERE id = 10');
    const now = await cache.context();
    expect(now.generation).toBeGreaterThan(old.generation);
    cache.put('k', old.generation, Buffer.from('old'));
    expect(cache.get('k', now.generation, 0)).toBeUndefined();
    expect(cache.stats.answers).toBe(0);
    cache.put('k', now.generation, Buffer.from('new'));
    expect(cache.get('k', (await cache.context()).generation, 0)?.toString()).toBe('new');
  });

  it('a check that straddles a new generation reads and keeps nothing', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let holdNext = false;
    const slowFirst = new Proxy(t.db, {
      get(target, key, receiver) {
        if (key !== 'one') return Reflect.get(target, key, receiver);
        return async (...args: Parameters<Db['one']>) => {
          const held = holdNext;
          holdNext = false;
          const r = await target.one(...args);
          if (held) await gate;
          return r;
        };
      },
    });
    const cache = new AnswerCache(slowFirst, config());
    await cache.context();
    holdNext = true;
    // Its query has answered (nothing written), but the answer reaches the cache only after the next check's.
    const straddling = cache.context();
    await t.db.none('UPDATE amo.leads SET price = price WHERE id = 10');
    const next = await cache.context();
    cache.put('k', next.generation, Buffer.from('x'));
    release();
    const late = await straddling;
    expect(late.generation).toBe(-1);
    expect(cache.get('k', late.generation, 0)).toBeUndefined();
    expect(cache.get('k', next.generation, 0)?.toString()).toBe('x');
  });

  it('drops what it kept under a snapshot older than ten minutes, and not sooner', async () => {
    let clock = 1_000_000;
    const cache = new AnswerCache(t.db, config(), 1 << 20, () => clock);
    const g = (await cache.context()).generation;
    cache.put('k', g, Buffer.from('x'));
    clock += KEPT_SNAPSHOT_MAX_AGE_MS;
    const within = await cache.context();
    expect(within.generation).toBe(g);
    expect(cache.get('k', within.generation, 0)?.toString()).toBe('x');
    // The check moved the snapshot on: ten more minutes are fine, one more millisecond is not.
    clock += KEPT_SNAPSHOT_MAX_AGE_MS + 1;
    const after = await cache.context();
    expect(after.generation).toBe(g + 1);
    expect(cache.get('k', after.generation, 0)).toBeUndefined();
  });

  it('keeps an answer until the instant it may change without a write, and no longer', async () => {
    const cache = new AnswerCache(t.db, config());
    const g = (await cache.context()).generation;
    cache.put('k', g, Buffer.from('x'), 5_000);
    expect(cache.get('k', g, 4_999)?.toString()).toBe('x');
    expect(cache.get('k', g, 5_000)).toBeUndefined();
    expect(cache.stats).toMatchObject({ answers: 0, bytes: 0 });
    expect(cache.get('k', g, 0)).toBeUndefined(); // dropped, not kept for an earlier clock
  });

  it('keeps at most its bytes, the least recently used going first; an answer over a quarter of them is not kept', async () => {
    const cache = new AnswerCache(t.db, config(), 1000);
    const g = (await cache.context()).generation;
    const bytes = (c: string) => Buffer.alloc(200, c);
    for (const k of 'abcde') cache.put(k, g, bytes(k));
    expect(cache.stats).toMatchObject({ answers: 5, bytes: 1000 });
    cache.put('f', g, bytes('f'));
    expect(cache.get('a', g, 0)).toBeUndefined();
    expect(cache.get('b', g, 0)?.[0]).toBe('b'.charCodeAt(0)); // b is now the most recent
    cache.put('g', g, bytes('g'));
    expect(cache.get('c', g, 0)).toBeUndefined();
    expect(cache.get('b', g, 0)).toBeDefined();
    cache.put('b', g, Buffer.alloc(100, 'B')); // replaced: its bytes counted once
    expect(cache.stats).toMatchObject({ answers: 5, bytes: 900 });
    cache.put('big', g, Buffer.alloc(251));
    expect(cache.get('big', g, 0)).toBeUndefined();
    cache.put('quarter', g, Buffer.alloc(250));
    expect(cache.get('quarter', g, 0)).toBeDefined();
    expect(cache.stats.bytes).toBeLessThanOrEqual(1000);
  });

  it('AMOKPI_ANSWER_CACHE_MB: megabytes, 0 for none, a one-line error when wrong', () => {
    expect(testConfig().answerCacheBytes).toBe(64 * 1024 * 1024);
    expect(testConfig({ AMOKPI_ANSWER_CACHE_MB: '0' }).answerCacheBytes).toBe(0);
    expect(testConfig({ AMOKPI_ANSWER_CACHE_MB: '1.5' }).answerCacheBytes).toBe(1_572_864);
    expect(() => testConfig({ AMOKPI_ANSWER_CACHE_MB: 'lots' })).toThrow(/^AMOKPI_ANSWER_CACHE_MB: must be a number of megabytes/);
    expect(() => testConfig({ AMOKPI_ANSWER_CACHE_MB: '-1' })).toThrow(/^AMOKPI_ANSWER_CACHE_MB: must be 0/);
  });
});

describe('the writing transactions’ ids (migration 0019)', () => {
  const { t } = useSeededAccount();

  it('every table of the amo and kpi schemas, and the plans, notes its writers; nothing else does', async () => {
    const tables = await t.db.map(
      `SELECT c.oid::regclass::text AS name, EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'note_data_write') AS noted
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('amo', 'kpi', 'app', 'public') ORDER BY 1`,
      [],
      (r: { name: string; noted: boolean }) => `${r.name}${r.noted ? ' noted' : ''}`,
    );
    const expected = tables.map((n) => n.replace(/ noted$/, '')).map((n) => (/^(amo|kpi)\./.test(n) || n === 'app.plans' ? `${n} noted` : n));
    expect(tables).toEqual(expected);
    expect(tables.filter((n) => n.endsWith(' noted')).length).toBeGreaterThanOrEqual(17);
  });

  it('a transaction is noted once, a rolled-back one not at all; written_since sees only what its snapshot did not', async () => {
    const { snap } = await t.db.one<{ snap: string }>('SELECT pg_current_snapshot()::text AS snap');
    const before = await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM app.data_writes');
    await t.db.tx(async (tx) => {
      await tx.none('UPDATE amo.leads SET price = price WHERE id = 10');
      await tx.none(`UPDATE app.plans SET amount = amount WHERE manager_id = ${ANNA}`);
      await tx.none('DELETE FROM kpi.snapshot_days WHERE false');
    });
    const rolledBack = await t.db.$pool.connect();
    try {
      await rolledBack.query('BEGIN');
      await rolledBack.query('UPDATE amo.users SET name = name');
      await rolledBack.query('ROLLBACK');
    } finally {
      rolledBack.release();
    }
    await t.db.none('UPDATE app.sync_runs SET error = error'); // not a KPI input
    const after = await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM app.data_writes');
    expect(after.n - before.n).toBe(1);
    expect(await t.db.one('SELECT app.written_since($1::pg_snapshot) AS w', [snap])).toEqual({ w: true });
    expect(await t.db.one('SELECT app.written_since(pg_current_snapshot()) AS w')).toEqual({ w: false });
    expect(await t.db.one('SELECT app.written_since(NULL) AS w')).toEqual({ w: true });
  });

  it('kpi.stale_deals_change_at: the first creation of an open deal after now; now itself with a status event after it; else null', async () => {
    const { lead, move } = leadWriters(t.db, 'chg');
    const at = (now: string) => t.db.one<{ at: Date | null }>('SELECT kpi.stale_deals_change_at($1) AS at', [now]).then((r) => r.at?.toISOString() ?? null);
    const later = '2030-01-01T00:00:00.000Z';
    expect(await at(later)).toBeNull();
    await lead(991, ANNA, 100, [SALES, 1003], '2030-03-01T10:00:00Z');
    await lead(992, ANNA, 100, [SALES, 1003], '2030-02-01T10:00:00Z');
    expect(await at(later)).toBe('2030-02-01T10:00:00.000Z');
    expect(await at('2030-02-01T10:00:00Z')).toBe('2030-02-01T10:00:00.000Z'); // at now itself: not yet on the list
    expect(await at('2030-02-01T10:00:00.001Z')).toBe('2030-03-01T10:00:00.000Z');
    expect(await at('2030-03-01T10:00:00.001Z')).toBeNull();
    await move(992, '2030-04-01T00:00:00Z', [SALES, 1003], [SALES, 1002]);
    expect(await at(later)).toBe(later);
    expect(await at('2030-04-01T00:00:00Z')).toBe('2030-04-01T00:00:00.000Z');
    expect(await at('2030-04-01T00:00:00.001Z')).toBeNull();
    await t.db.none("DELETE FROM amo.events WHERE id LIKE 'chg%'");
    await t.db.none('DELETE FROM amo.leads WHERE id IN (991, 992)');
  });

  it('a trim removes the ids below the newest mark older than an hour and the marks before it, and ids no transaction here has had', async () => {
    await t.db.none('DELETE FROM app.data_write_marks');
    await t.db.none("INSERT INTO app.data_writes (xid) VALUES ('100'), ('200'), ('300'), ('400') ON CONFLICT DO NOTHING");
    await t.db.none(`INSERT INTO app.data_write_marks (at, oldest) VALUES
      (now() - interval '3 hours', '150'), (now() - interval '2 hours', '250'), (now() - interval '30 minutes', '350')`);
    // An id from another cluster's history (a restored dump): above any this one has given.
    await t.db.none("INSERT INTO app.data_writes (xid) VALUES ('9000000000000')");
    expect(await t.db.one('SELECT app.written_since(pg_current_snapshot()) AS w')).toEqual({ w: true });
    await t.db.any('SELECT app.trim_data_writes()');
    const ids = await t.db.map("SELECT xid::text FROM app.data_writes WHERE xid <= '400' OR xid >= '9000000000000' ORDER BY xid", [], (r: { xid: string }) => r.xid);
    expect(ids).toEqual(['300', '400']);
    expect(await t.db.one('SELECT app.written_since(pg_current_snapshot()) AS w')).toEqual({ w: false });
    const marks = await t.db.map('SELECT oldest::text FROM app.data_write_marks ORDER BY at', [], (r: { oldest: string }) => r.oldest);
    expect(marks.slice(0, 2)).toEqual(['250', '350']);
    expect(marks).toHaveLength(3); // and the one this trim took
  });
});
