import net from 'node:net';
import { importPlansCsv } from '../../src/kpi/plans-csv';
import { ADMIN_TOKEN, ANNA, BORIS, CARL, DINA, SALES } from '../kpi/fixture';
import { useSeededAccount } from '../kpi/http';

/** PUT /api/v1/plans/<month> {"plans": [...]}: a month's plans saved all or nothing (what /admin/plans saves with). */
describe('plans API: batch save, all or nothing', () => {
  const { t, api } = useSeededAccount({ api: true });

  const admin = (path: string, body: unknown, headers?: Record<string, string>) => api.call('PUT', path, { token: ADMIN_TOKEN, body, headers });
  const state = async () => ({
    plans: await t.db.any('SELECT month, manager_id, pipeline_id, amount, updated_by FROM app.plans ORDER BY month, manager_id, pipeline_id'),
    audit: await t.db.any('SELECT month, manager_id, pipeline_id, old_amount, new_amount, changed_by FROM app.plan_audit ORDER BY id'),
  });
  const auditOf = (month: string) =>
    t.db.any('SELECT manager_id, pipeline_id, old_amount, new_amount, changed_by FROM app.plan_audit WHERE month = $1 ORDER BY id', [month]);

  it('sets, changes and deletes (null) in one request, audited row by row like the single PUT and DELETE', async () => {
    const r = await admin('/api/v1/plans/2026-11', { plans: [
      { managerId: ANNA, amount: 170000 }, // changed
      { managerId: BORIS, amount: 100000 }, // unchanged: stored again, not audited
      { managerId: CARL, amount: 5000 }, // new
      { managerId: DINA, amount: null }, // deleted
    ] }, { 'x-amokpi-user': 'Olga' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      month: '2026-11', set: 3, deleted: 1,
      plans: [
        { month: '2026-11', managerId: ANNA, managerName: 'Anna', amount: 170000 },
        { month: '2026-11', managerId: BORIS, managerName: 'Boris', amount: 100000 },
        { month: '2026-11', managerId: CARL, managerName: 'Carl', amount: 5000 },
      ],
    });
    expect(await auditOf('2026-11-01')).toEqual([
      { manager_id: ANNA, pipeline_id: 0, old_amount: 160000, new_amount: 170000, changed_by: 'api:Olga' },
      { manager_id: CARL, pipeline_id: 0, old_amount: null, new_amount: 5000, changed_by: 'api:Olga' },
      { manager_id: DINA, pipeline_id: 0, old_amount: 50000, new_amount: null, changed_by: 'api:Olga' },
    ]);
    expect((await t.db.one("SELECT updated_by FROM app.plans WHERE month = '2026-11-01' AND manager_id = $1", [BORIS])).updated_by).toBe('api:Olga');
    // The board sees the new plans at once.
    const board = await api.get('/api/v1/kpi/managers');
    expect(board.json.rows.find((x: { managerId: number }) => x.managerId === ANNA).planAmount).toBe(170000);

    // Back to the seeded plans for the other tests.
    const back = await admin('/api/v1/plans/2026-11', { plans: [{ managerId: ANNA, amount: 160000 }, { managerId: CARL, amount: null }, { managerId: DINA, amount: 50000 }] });
    expect([back.status, back.json.set, back.json.deleted, back.json.plans.length]).toEqual([200, 2, 1, 3]);
  });

  it("with ?pipelineId= works on that pipeline's plans only and says so", async () => {
    const r = await admin(`/api/v1/plans/2026-12?pipelineId=${SALES}`, { plans: [{ managerId: BORIS, amount: 7000 }] });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ month: '2026-12', pipelineId: SALES, set: 1, deleted: 0, plans: [{ month: '2026-12', managerId: BORIS, managerName: 'Boris', amount: 7000, pipelineId: SALES }] });
    expect((await api.get('/api/v1/plans?month=2026-12')).json).toEqual([]);
    expect(await auditOf('2026-12-01')).toEqual([{ manager_id: BORIS, pipeline_id: SALES, old_amount: null, new_amount: 7000, changed_by: 'api:admin-token' }]);
  });

  it('an empty list saves nothing and answers the month', async () => {
    const before = await state();
    const r = await admin('/api/v1/plans/2026-11', { plans: [] });
    expect([r.status, r.json.set, r.json.deleted, r.json.plans.length]).toEqual([200, 0, 0, 3]);
    expect(await state()).toEqual(before);
  });

  it.each([
    // A bad row after good ones: the good ones are not saved either.
    [{ plans: [{ managerId: ANNA, amount: 1 }, { managerId: BORIS, amount: -5 }] }, 'plans[1] (manager 102): amount must not be negative, got -5; nothing was saved', { index: 1, managerId: BORIS }],
    [{ plans: [{ managerId: ANNA, amount: 1 }, { managerId: 555, amount: 5 }] }, 'plans[1] (manager 555): managerId 555 is not a user of the amoCRM account; nothing was saved', { index: 1, managerId: 555 }],
    [{ plans: [{ managerId: ANNA, amount: 1 }, { managerId: BORIS, amount: 1e300 }] }, 'plans[1] (manager 102): amount must be at most 1000000000000 (the number sent is larger); nothing was saved', { index: 1, managerId: BORIS }],
    [{ plans: [{ managerId: ANNA, amount: 1 }, { managerId: BORIS, amount: 1000000000001 }] }, 'plans[1] (manager 102): amount must be at most 1000000000000, got 1000000000001; nothing was saved', { index: 1, managerId: BORIS }],
    ['{"plans":[{"managerId":101,"amount":9007199254740993}]}', 'plans[0] (manager 101): amount must be at most 1000000000000 (the number sent is larger); nothing was saved', { index: 0, managerId: ANNA }],
    [{ plans: [{ managerId: ANNA, amount: 1 }, { managerId: BORIS, amount: 1.5 }] }, /^plans\[1\] \(manager 102\): amount must be a whole number/, { index: 1, managerId: BORIS }],
    [{ plans: [{ managerId: ANNA, amount: 1 }, { managerId: BORIS, amount: '5' }] }, /^plans\[1\] \(manager 102\): amount must be a non-negative integer \(a JSON number\), got "5"/, { index: 1, managerId: BORIS }],
    [{ plans: [{ managerId: ANNA, amount: 1 }, { managerId: BORIS }] }, 'plans[1] (manager 102): amount is required (null deletes the plan); nothing was saved', { index: 1, managerId: BORIS }],
    [{ plans: [{ managerId: ANNA, amount: 1 }, { managerId: ANNA, amount: 2 }] }, 'plans[1] (manager 101): a second row for manager 101 (the first is plans[0]); nothing was saved', { index: 1, managerId: ANNA }],
    [{ plans: [{ managerId: ANNA, amount: 1, note: 'x' }] }, /^plans\[0\] \(manager 101\): unknown field\(s\) note/, { index: 0, managerId: ANNA }],
    [{ plans: [{ managerId: ANNA, amount: 1 }, { managerId: 'abc', amount: 1 }] }, 'plans[1]: managerId must be a positive integer, got "abc"; nothing was saved', { index: 1 }],
    // Parsed as 9007199254740992, which is not the id sent: the message does not quote it.
    ['{"plans":[{"managerId":9007199254740993,"amount":1}]}', 'plans[0]: managerId must be at most 9007199254740991 (the number sent is larger); nothing was saved', { index: 0 }],
    [{ plans: [{ amount: 1 }] }, /^plans\[0\]: managerId is required/, { index: 0 }],
    [{ plans: [5] }, /^plans\[0\]: must be an object/, { index: 0 }],
    [{ plans: {} }, /^plans: must be an array/, {}],
    [{}, /^plans is required: the body must be \{"plans": \[/, {}],
    [{ plans: [], x: 1 }, /^unknown field\(s\) in the body: x/, {}],
    [[], /^the body must be a JSON object/, {}],
  ])('%j is a 400 naming the row and writes nothing', async (body, detail, extras) => {
    const before = await state();
    const r = await admin('/api/v1/plans/2026-11', body);
    expect([r.status, r.json?.title]).toEqual([400, 'Bad Request']);
    if (typeof detail === 'string') expect(r.json.detail).toBe(detail);
    else expect(r.json.detail).toMatch(detail);
    expect({ index: r.json.index, managerId: r.json.managerId }).toEqual({ index: undefined, managerId: undefined, ...extras });
    expect(await state()).toEqual(before);
  });

  it.each([
    ['/api/v1/plans/0000-01', /^month 0000-01: must be a real month from 1970-01/],
    ['/api/v1/plans/2026-11?pipelineId=30', /^pipelineId 30 is not a pipeline/],
    ['/api/v1/plans/2026-11?x=1', /^unknown parameter\(s\): x/],
  ])('PUT %s is a 400 and writes nothing', async (path, detail) => {
    const before = await state();
    const r = await admin(path, { plans: [{ managerId: ANNA, amount: 1 }] });
    expect([r.status, r.json.detail]).toEqual([400, expect.stringMatching(detail)]);
    expect(await state()).toEqual(before);
  });

  it('needs the admin token', async () => {
    const before = await state();
    const r = await api.call('PUT', '/api/v1/plans/2026-11', { body: { plans: [{ managerId: ANNA, amount: 1 }] } });
    expect([r.status, r.json.detail]).toEqual([401, expect.stringMatching(/admin token/)]);
    expect(await state()).toEqual(before);
  });

  it('a failure while writing rolls back the rows already written', async () => {
    // A trigger that refuses Carl's row on insert: the check of every row passed, the write fails half-way.
    await t.db.none(`CREATE FUNCTION pg_temp_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.manager_id = ${CARL} THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await t.db.none('CREATE TRIGGER refuse BEFORE INSERT ON app.plans FOR EACH ROW EXECUTE FUNCTION pg_temp_refuse()');
    try {
      const before = await state();
      const r = await admin('/api/v1/plans/2027-01', { plans: [{ managerId: ANNA, amount: 1 }, { managerId: BORIS, amount: 2 }, { managerId: CARL, amount: 3 }] });
      expect([r.status, r.json.title]).toEqual([500, 'Internal Server Error']);
      expect(await state()).toEqual(before);
    } finally {
      await t.db.none('DROP TRIGGER refuse ON app.plans; DROP FUNCTION pg_temp_refuse()');
    }
  });
});

/**
 * Plan writes that run together: each transaction locked its rows in body (or file) order, so two saves of the
 * same managers in opposite orders locked each other's rows and Postgres killed one ("deadlock detected", a 500).
 */
describe('plans API: concurrent plan writes never deadlock', () => {
  const { t, api } = useSeededAccount({ api: true });
  const MONTH = '2027-08';
  const managers = [ANNA, BORIS, CARL, DINA];
  const batch = (ids: number[], amount: number | null) =>
    api.call('PUT', `/api/v1/plans/${MONTH}`, { token: ADMIN_TOKEN, body: { plans: ids.map((managerId) => ({ managerId, amount })) } });
  const stored = () => t.db.map('SELECT amount FROM app.plans WHERE month = $1 ORDER BY manager_id', [`${MONTH}-01`], (r) => r.amount);

  it('two batch saves of the same managers in opposite orders both succeed, one after the other', async () => {
    for (let round = 0; round < 10; round++) {
      // Existing rows (updates) on odd rounds, absent ones (inserts) and deletes on the others.
      const amount = round % 3 === 2 ? null : round;
      const [a, b] = await Promise.all([batch(managers, amount), batch([...managers].reverse(), amount === null ? null : amount + 1000)]);
      expect([round, a.status, a.json?.detail, b.status, b.json?.detail]).toEqual([round, 200, undefined, 200, undefined]);
      // Serialised, not interleaved: the month holds one whole save, never a mix of both.
      const amounts = await stored();
      expect([[], [amount, amount, amount, amount], [amount! + 1000, amount! + 1000, amount! + 1000, amount! + 1000]]).toContainEqual(amounts);
    }
  });

  it('a CSV import, single PUTs and DELETEs running with batch saves all succeed', async () => {
    const csv = ['month,managerId,amount', ...[...managers].reverse().map((id) => `${MONTH},${id},7`)].join('\n');
    for (let round = 0; round < 10; round++) {
      const results = await Promise.allSettled([
        batch(managers, round),
        importPlansCsv(t.db, csv, 'test:import'),
        api.call('PUT', `/api/v1/plans/${MONTH}/${DINA}`, { token: ADMIN_TOKEN, body: { amount: 5 } }),
        api.call('DELETE', `/api/v1/plans/${MONTH}/${ANNA}`, { token: ADMIN_TOKEN }),
        batch([...managers].reverse(), round + 1000),
      ]);
      const outcome = results.map((r) => (r.status === 'rejected' ? String(r.reason) : typeof r.value === 'number' ? r.value : [r.value.status, r.value.json?.detail]));
      expect([round, ...outcome]).toEqual([round, [200, undefined], 4, [200, undefined], [204, undefined], [200, undefined]]);
    }
  });
});

/**
 * The editor's name in X-Amokpi-User: a header carries bytes, so a Cyrillic name arrives percent-encoded (what
 * /admin/plans sends) or as raw UTF-8 (curl), which Node hands over read as latin1. Both are stored as typed.
 */
describe("plans API: the editor's name in X-Amokpi-User", () => {
  const { t, api } = useSeededAccount({ api: true });
  const MONTH = '2027-09';
  const lastEditor = async () => (await t.db.one('SELECT changed_by FROM app.plan_audit ORDER BY id DESC LIMIT 1')).changed_by;
  let amount = 0;

  /** A single PUT written byte for byte on a socket, as curl sends it (fetch refuses a header that is not latin1 text). */
  function putWithRawHeader(user: Buffer): Promise<number> {
    const url = new URL(`${api.server.url}/api/v1/plans/${MONTH}/${ANNA}`);
    const body = JSON.stringify({ amount: ++amount });
    const head = [
      `PUT ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, `Authorization: Bearer ${ADMIN_TOKEN}`, 'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close',
    ].join('\r\n');
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname);
      let answer = '';
      socket.on('data', (d) => (answer += d.toString('latin1')));
      socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
      socket.on('error', reject);
      // write, not end: the server drops a request whose sender half-closed before the answer (Connection: close ends it).
      socket.write(Buffer.concat([Buffer.from(`${head}\r\nX-Amokpi-User: `), user, Buffer.from(`\r\n\r\n${body}`)]));
    });
  }
  const putWithHeader = async (user: string) => {
    const r = await api.call('PUT', `/api/v1/plans/${MONTH}/${ANNA}`, { token: ADMIN_TOKEN, body: { amount: ++amount }, headers: { 'x-amokpi-user': user } });
    expect(r.status).toBe(200);
  };

  it('a percent-encoded name (what the page sends) is stored decoded', async () => {
    await putWithHeader(encodeURIComponent('Иван Петров'));
    expect(await lastEditor()).toBe('api:Иван Петров');
    await putWithHeader(encodeURIComponent('  Olga  '));
    expect(await lastEditor()).toBe('api:Olga');
  });

  it('a raw UTF-8 name (curl -H "X-Amokpi-User: Иван Петров") is stored as typed, not latin1-garbled', async () => {
    expect(await putWithRawHeader(Buffer.from('Иван Петров', 'utf8'))).toBe(200);
    expect(await lastEditor()).toBe('api:Иван Петров');
  });

  it('plain names, a lone "%" and latin1 bytes that are not UTF-8 are kept as they came', async () => {
    await putWithHeader('Olga 100%');
    expect(await lastEditor()).toBe('api:Olga 100%');
    await putWithHeader('50%25 off');
    expect(await lastEditor()).toBe('api:50% off');
    expect(await putWithRawHeader(Buffer.from('José', 'latin1'))).toBe(200);
    expect(await lastEditor()).toBe('api:José');
  });

  it('the decoded name is trimmed, one line and at most 100 characters', async () => {
    await putWithHeader(encodeURIComponent(`  ${'Ж'.repeat(150)}  `));
    expect(await lastEditor()).toBe(`api:${'Ж'.repeat(100)}`);
    await putWithHeader(encodeURIComponent('Иван\nПетров'));
    expect(await lastEditor()).toBe('api:Иван Петров');
    await putWithHeader(encodeURIComponent('   '));
    expect(await lastEditor()).toBe('api:admin-token');
  });
});
