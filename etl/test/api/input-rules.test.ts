import { maxHeaderSize } from 'node:http';
import { connect } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { ADMIN_TOKEN, ANNA } from '../kpi/fixture';
import { useSeededAccount } from '../kpi/http';

/** Input the API must refuse with a clear 400 (never a 500), and the problem answers of the other statuses. */
describe('KPI API: input bounds, error titles and messages', () => {
  const { t, api } = useSeededAccount({ api: true });

  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api.call(method, path, { token: ADMIN_TOKEN, body, headers });
  const snapshot = async () => ({
    plans: await t.db.any('SELECT * FROM app.plans ORDER BY month, manager_id, pipeline_id'),
    audit: await t.db.one('SELECT count(*)::int AS n FROM app.plan_audit'),
  });
  const expectProblem = (r: { status: number; type: string; json: any }, status: number, title: string, detail?: RegExp | string) => {
    expect([r.status, r.type]).toEqual([status, expect.stringMatching(/^application\/problem\+json/)]);
    expect(r.json).toMatchObject({ status, title, detail: expect.any(String) });
    if (typeof detail === 'string') expect(r.json.detail).toBe(detail);
    else if (detail) expect(r.json.detail).toMatch(detail);
  };

  describe('dates and months: real calendar days from 1970-01-01 (year 0000 was a 500)', () => {
    it.each([
      ['/api/v1/kpi/managers?date=0000-01-01', 'date 0000-01-01: must be a real calendar date from 1970-01-01 on (CRM data is not older), YYYY-MM-DD'],
      ['/api/v1/kpi/managers?date=1900-01-01', 'date 1900-01-01: must be a real calendar date from 1970-01-01 on (CRM data is not older), YYYY-MM-DD'],
      ['/api/v1/kpi/managers?date=1969-12-31', /^date 1969-12-31: must be a real calendar date from 1970-01-01/],
      ['/api/v1/kpi/department?date=0000-03-31', /^date 0000-03-31: .*from 1970-01-01/],
      ['/api/v1/kpi/department?date=0001-01-01', /^date 0001-01-01: .*from 1970-01-01/],
      ['/api/v1/kpi/activity?from=0000-01-01', /^from 0000-01-01: .*from 1970-01-01/],
      ['/api/v1/kpi/activity?from=2026-11-01&to=0000-01-01', /^to 0000-01-01: .*from 1970-01-01/],
      ['/api/v1/kpi/managers?date=2026-02-30', 'date 2026-02-30: must be a real calendar date from 1970-01-01 on (CRM data is not older), YYYY-MM-DD'],
      ['/api/v1/plans?month=0000-01', 'month 0000-01: must be a real month from 1970-01 on (CRM data is not older), YYYY-MM'],
      ['/api/v1/plans?month=1969-12', /^month 1969-12: .*from 1970-01/],
    ])('GET %s is a 400 saying the rule', async (path, detail) => {
      expectProblem(await api.get(path), 400, 'Bad Request', detail);
    });

    it.each([
      ['PUT', '/api/v1/plans/0000-01/101'],
      ['DELETE', '/api/v1/plans/0000-01/101'],
      ['PUT', '/api/v1/plans/1969-12/101'],
    ])('%s %s is a 400 and changes nothing', async (method, path) => {
      const before = await snapshot();
      expectProblem(await admin(method, path, method === 'PUT' ? { amount: 1 } : undefined), 400, 'Bad Request', /^month \d{4}-\d{2}: must be a real month from 1970-01/);
      expect(await snapshot()).toEqual(before);
    });

    it('the first and the last accepted days answer', async () => {
      expect((await api.get('/api/v1/kpi/managers?date=1970-01-01')).status).toBe(200);
      // D′ of 1970-01-01 is 1969-12-01: a comparison day, not an input, so it is computed (as empty).
      const dept = await api.get('/api/v1/kpi/department?date=1970-01-01');
      expect([dept.status, dept.json.previous?.date]).toEqual([200, '1969-12-01']);
      expect((await api.get('/api/v1/kpi/activity?from=9999-12-01&to=9999-12-31')).status).toBe(200);
      expect((await api.get('/api/v1/plans?month=9999-12')).status).toBe(200);
      expect((await api.get('/api/v1/plans?month=1970-01')).status).toBe(200);
      const put = await admin('PUT', `/api/v1/plans/9999-12/${ANNA}`, { amount: 5 });
      expect(put.status).toBe(200);
      expect((await admin('DELETE', `/api/v1/plans/9999-12/${ANNA}`)).status).toBe(204);
    });
  });

  describe('activity: a missing from/to is the current month (KPI.md), not the other date\'s month', () => {
    const days = (r: { json: { rows: { date: string }[] } }) => {
      const d = [...new Set(r.json.rows.map((x) => x.date))];
      return [d[0], d[d.length - 1], d.length];
    };

    it('from alone runs to the end of the current month', async () => {
      const r = await api.get('/api/v1/kpi/activity?from=2026-10-05&managerId=101');
      expect(r.status).toBe(200);
      expect(days(r)).toEqual(['2026-10-05', '2026-11-30', 57]);
    });

    it('to alone starts on the first day of the current month', async () => {
      const r = await api.get('/api/v1/kpi/activity?to=2026-12-10&managerId=101');
      expect(r.status).toBe(200);
      expect(days(r)).toEqual(['2026-11-01', '2026-12-10', 40]);
    });

    it('a default that ends up after the other date says it was the default', async () => {
      expectProblem(await api.get('/api/v1/kpi/activity?to=2026-10-05'), 400, 'Bad Request',
        "from 2026-11-01 (the default: this month's first day) is after to 2026-10-05");
      expectProblem(await api.get('/api/v1/kpi/activity?from=2026-12-05'), 400, 'Bad Request',
        "from 2026-12-05 is after to 2026-11-30 (the default: this month's last day)");
      expectProblem(await api.get('/api/v1/kpi/activity?from=2026-12-05&to=2026-12-01'), 400, 'Bad Request', 'from 2026-12-05 is after to 2026-12-01');
    });

    it('a range ending after today is allowed (the default end of the month is after today)', async () => {
      expect((await api.get('/api/v1/kpi/activity?from=2026-11-20&to=2026-12-31')).status).toBe(200);
    });
  });

  describe('errors other than 400 carry their own title', () => {
    it('a too large PUT body is 413 Payload Too Large and changes nothing', async () => {
      const before = await snapshot();
      for (const size of [5_000, 10_000_000]) {
        const r = await admin('PUT', `/api/v1/plans/2026-12/${ANNA}`, JSON.stringify({ amount: 1, pad: 'x'.repeat(size) }));
        expectProblem(r, 413, 'Payload Too Large');
      }
      expect(await snapshot()).toEqual(before);
    });

    it('an unsupported charset or content encoding is 415 Unsupported Media Type', async () => {
      const before = await snapshot();
      const put = async (headers: Record<string, string>) => {
        const res = await fetch(`${api.server.url}/api/v1/plans/2026-12/${ANNA}`, {
          method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, body: '{"amount":1}',
        });
        return { status: res.status, type: res.headers.get('content-type') ?? '', json: await res.json() };
      };
      expectProblem(await put({ 'content-type': 'application/json; charset=koi8-r' }), 415, 'Unsupported Media Type', 'unsupported charset "KOI8-R": the body must be UTF-8');
      expectProblem(await put({ 'content-type': 'application/json', 'content-encoding': 'foo' }), 415, 'Unsupported Media Type', 'unsupported content encoding "foo"');
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('a body is JSON only as Content-Type: application/json in UTF-8 (README); anything else is 415, not a 400 about the JSON', () => {
    /** Sends raw bytes, so no content type is added unless given. */
    const send = async (path: string, headers: Record<string, string>, body: ArrayLike<number>) => {
      const res = await fetch(`${api.server.url}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, body: new Uint8Array(body) });
      return { status: res.status, type: res.headers.get('content-type') ?? '', json: await res.json() };
    };
    const utf8 = (text: string) => new TextEncoder().encode(text);
    const single = { path: `/api/v1/plans/2026-12/${ANNA}`, body: '{"amount":1}' };
    const batch = { path: '/api/v1/plans/2026-12', body: `{"plans":[{"managerId":${ANNA},"amount":1}]}` };

    it.each([
      ['text/plain', 'not "text/plain"'],
      ['text/plain;charset=UTF-8', 'not "text/plain;charset=UTF-8"'],
      [undefined, 'the request has no Content-Type'],
      ['application/x-www-form-urlencoded', 'not "application/x-www-form-urlencoded"'],
      ['application/merge-patch+json', 'not "application/merge-patch+json"'],
      ['text/json', 'not "text/json"'],
    ])('Content-Type %s is 415 and changes nothing', async (type, why) => {
      const before = await snapshot();
      for (const { path, body } of [single, batch]) {
        const r = await send(path, type ? { 'content-type': type } : {}, utf8(body));
        expectProblem(r, 415, 'Unsupported Media Type', `the body must be sent as Content-Type: application/json, ${why}`);
      }
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      ['utf-16le', Buffer.from('{"amount":1}', 'utf16le'), 'UTF-16LE'],
      ['utf-16', Buffer.from('\ufeff{"amount":1}', 'utf16le'), 'UTF-16'],
      ['UTF-32', utf8('{"amount":1}'), 'UTF-32'],
      ['"latin1"', utf8('{"amount":1}'), 'LATIN1'],
    ])('charset %s is 415 (only UTF-8 is taken) and changes nothing', async (charset, body, named) => {
      const before = await snapshot();
      const r = await send(single.path, { 'content-type': `application/json; charset=${charset}` }, body);
      expectProblem(r, 415, 'Unsupported Media Type', `unsupported charset "${named}": the body must be UTF-8`);
      expect(await snapshot()).toEqual(before);
    });

    it.each(['application/json', 'Application/JSON; charset=UTF-8', 'application/json;charset="utf-8"'])('%s is taken', async (type) => {
      const r = await send(single.path, { 'content-type': type }, utf8('{"amount":7}'));
      expect([r.status, r.json.amount]).toEqual([200, 7]);
      expect((await admin('DELETE', single.path)).status).toBe(204);
    });
  });

  describe('a body that does not decode is a 400 in our words, not zlib\'s', () => {
    const put = async (encoding: string, body: Uint8Array) => {
      const res = await fetch(`${api.server.url}/api/v1/plans/2026-12/${ANNA}`, {
        method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'content-encoding': encoding }, body: new Uint8Array(body),
      });
      return { status: res.status, type: res.headers.get('content-type') ?? '', json: await res.json() };
    };
    const plain = Buffer.from('{"amount":1}');

    it.each([
      ['gzip', plain],
      ['br', plain],
      ['deflate', plain],
      ['GZIP', plain],
      ['gzip', gzipSync(plain).subarray(0, 15)],
    ])('Content-Encoding %s with a body that is not that encoding is a 400 naming it, and changes nothing', async (encoding, body) => {
      const before = await snapshot();
      expectProblem(await put(encoding, body), 400, 'Bad Request', `the body is not valid ${encoding.toLowerCase()} data (Content-Encoding: ${encoding})`);
      expect(await snapshot()).toEqual(before);
    });

    it('a body that is valid gzip or br is taken', async () => {
      for (const [encoding, body] of [['gzip', gzipSync(plain)], ['br', brotliCompressSync(plain)]] as const) {
        const r = await put(encoding, body);
        expect([encoding, r.status, r.json.amount]).toEqual([encoding, 200, 1]);
      }
      expect((await admin('DELETE', `/api/v1/plans/2026-12/${ANNA}`)).status).toBe(204);
    });
  });

  describe('a request node cannot read is still answered with a problem', () => {
    /** Writes raw bytes on a fresh connection and returns everything the server sends back before closing. */
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(api.server.port, '127.0.0.1', () => socket.end(request));
        let text = '';
        socket.on('data', (d) => (text += d.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

    it('a URL over 16 KB is 431 problem+json (was an empty answer)', async () => {
      const r = await api.get(`/api/v1/kpi/managers?date=${'x'.repeat(17_000)}`);
      expectProblem(r, 431, 'Request Header Fields Too Large', `the request line and headers are larger than the ${maxHeaderSize} bytes this server reads`);
      // The server still answers afterwards.
      expect((await api.get('/api/v1/managers')).status).toBe(200);
    });

    it('so are headers over 16 KB, also without a token', async () => {
      const r = await api.call('GET', '/api/v1/managers', { token: null, headers: { 'x-pad': 'y'.repeat(17_000) } });
      expectProblem(r, 431, 'Request Header Fields Too Large');
    });

    it('a malformed request line is a 400 problem and the connection is closed', async () => {
      const response = await raw('GARBAGE\r\n\r\n');
      expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(response).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
      expect(response).toMatch(/\r\nconnection: close\r\n/i);
      expect(bodyOf(response)).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'the request is not valid HTTP/1.1' });
    });
  });

  describe('plan bodies are described as a body, not as a query string', () => {
    it.each([
      [{ amount: 1.5 }, 'amount: must be a whole number (a non-negative integer), got 1.5'],
      [{ amount: -1 }, 'amount: must not be negative, got -1'],
      [{ amount: '100' }, 'amount: must be a non-negative integer (a JSON number), got "100"'],
      [{ amount: null }, 'amount: must be a non-negative integer (a JSON number), got null'],
      [{}, 'amount is required: the body must be {"amount": <non-negative integer>}'],
      [{ amount: 5, x: 1 }, 'unknown field(s) in the body: x (the body is {"amount": <non-negative integer>})'],
      [{ amount: 1000000000001 }, 'amount: must be at most 1000000000000, got 1000000000001'],
      [{ amount: Number.MAX_SAFE_INTEGER }, 'amount: must be at most 1000000000000, got 9007199254740991'],
      // Beyond 2^53 the parsed number is not the one sent (…993 parses as …992, 1e400 as Infinity, echoed as null):
      // the message quotes neither.
      ['{"amount":9007199254740993}', 'amount: must be at most 1000000000000 (the number sent is larger)'],
      ['{"amount":1e400}', 'amount: must be at most 1000000000000 (the number sent is larger)'],
      [{ amount: 1e300 }, 'amount: must be at most 1000000000000 (the number sent is larger)'],
      ['{"amount":-1e400}', 'amount: must not be negative (got a negative number too large to be exact)'],
      [[1], 'the body must be a JSON object {"amount": <non-negative integer>}'],
      ['5', 'the body must be a JSON object {"amount": <non-negative integer>}'],
    ])('PUT %j: %s', async (body, detail) => {
      const before = await snapshot();
      const r = await admin('PUT', `/api/v1/plans/2026-12/${ANNA}`, typeof body === 'string' ? body : JSON.stringify(body));
      expectProblem(r, 400, 'Bad Request', detail);
      expect(await snapshot()).toEqual(before);
    });

    it('the largest plan, 10^12, is accepted', async () => {
      const r = await admin('PUT', `/api/v1/plans/2027-03/${ANNA}`, { amount: 1_000_000_000_000 });
      expect([r.status, r.json.amount]).toEqual([200, 1_000_000_000_000]);
      await admin('DELETE', `/api/v1/plans/2027-03/${ANNA}`);
    });
  });

  it.each([
    ['/api/v1/managers?=x', 'unknown parameter(s): a parameter without a name'],
    ['/api/v1/kpi/managers?=', 'unknown parameter(s): a parameter without a name'],
    ['/api/v1/kpi/stale-deals?foo=1&=x', 'unknown parameter(s): foo, a parameter without a name'],
  ])('GET %s names the nameless parameter', async (path, detail) => {
    expectProblem(await api.get(path), 400, 'Bad Request', detail);
  });

  describe('integer parameters: one rule (decimal digits, leading zeros accepted), judged on the text as sent', () => {
    const MAX = '9007199254740991';
    it.each([
      ['PUT', `/api/v1/plans/2026-12/9999999999999999`, 'managerId', '9999999999999999'],
      ['PUT', `/api/v1/plans/2026-12/9007199254740992`, 'managerId', '9007199254740992'],
      ['PUT', `/api/v1/plans/2026-12/12345678901234567890`, 'managerId', '12345678901234567890'],
      ['DELETE', `/api/v1/plans/2026-12/9999999999999999`, 'managerId', '9999999999999999'],
      ['PUT', `/api/v1/plans/2026-12/000`, 'managerId', '000'],
      ['GET', '/api/v1/kpi/managers?pipelineId=9999999999999999', 'pipelineId', '9999999999999999'],
      ['GET', '/api/v1/kpi/department?pipelineId=12345678901234567890', 'pipelineId', '12345678901234567890'],
      ['GET', '/api/v1/kpi/activity?managerId=9999999999999999', 'managerId', '9999999999999999'],
      ['GET', '/api/v1/kpi/stale-deals?managerId=-1', 'managerId', '-1'],
      ['GET', '/api/v1/plans?pipelineId=0', 'pipelineId', '0'],
      ['GET', '/api/v1/kpi/managers?pipelineId=1e3', 'pipelineId', '1e3'],
    ])('%s %s is a 400 quoting the id as sent, and changes nothing', async (method, path, name, text) => {
      const before = await snapshot();
      const r = await admin(method, path, method === 'PUT' ? { amount: 1 } : undefined);
      expectProblem(r, 400, 'Bad Request', `${name}: must be a positive integer of at most ${MAX}, got "${text}"`);
      expect(await snapshot()).toEqual(before);
    });

    it('the largest safe id is an id (an unknown manager), not a malformed one', async () => {
      expectProblem(await admin('PUT', `/api/v1/plans/2026-12/${MAX}`, { amount: 1 }), 400, 'Bad Request', /is not a user/);
      expect((await api.get(`/api/v1/kpi/managers?pipelineId=${MAX}`)).status).toBe(200);
    });

    it('leading zeros are accepted in every integer parameter, as in the plans CSV', async () => {
      const plain = await api.get('/api/v1/kpi/stale-deals?minDays=7&limit=1&managerId=102&pipelineId=10');
      const zeros = await api.get('/api/v1/kpi/stale-deals?minDays=000007&limit=01&managerId=0102&pipelineId=010');
      expect(plain.json.rows).toHaveLength(1);
      expect([zeros.status, zeros.json.rows]).toEqual([200, plain.json.rows]);
      const activity = await api.get('/api/v1/kpi/activity?from=2026-11-01&to=2026-11-02&managerId=00101');
      expect([activity.status, activity.json.rows.map((x: { managerId: number }) => x.managerId)]).toEqual([200, [ANNA, ANNA]]);
      const put = await admin('PUT', `/api/v1/plans/2026-12/0${ANNA}`, { amount: 3 });
      expect([put.status, put.json.managerId]).toEqual([200, ANNA]);
      expect((await admin('DELETE', `/api/v1/plans/2026-12/00${ANNA}`)).status).toBe(204);
      expect((await api.get('/api/v1/kpi/stale-deals?minDays=0000000000099999')).status).toBe(200);
    });

    it('a long value is quoted shortened', async () => {
      expectProblem(await api.get(`/api/v1/kpi/stale-deals?limit=${'9'.repeat(100)}`), 400, 'Bad Request', `limit: must be an integer from 1 to 10000, got "${'9'.repeat(40)}…"`);
    });
  });

  it('minDays says its range', async () => {
    for (const v of ['100000', '-1', 'abc', '1.5']) {
      expectProblem(await api.get(`/api/v1/kpi/stale-deals?minDays=${v}`), 400, 'Bad Request', `minDays: must be an integer from 0 to 99999, got "${v}"`);
    }
    expect((await api.get('/api/v1/kpi/stale-deals?minDays=99999')).status).toBe(200);
  });

  it('a read token on a plan edit is 401 saying edits need the admin token, without revealing a token', async () => {
    const before = await snapshot();
    for (const [method, body] of [['PUT', { amount: 1 }], ['DELETE', undefined]] as const) {
      for (const token of [undefined, null, 'wrong']) {
        const r = await api.call(method, `/api/v1/plans/2026-11/${ANNA}`, { token, body });
        expectProblem(r, 401, 'Unauthorized', 'plan edits need the admin token: "Authorization: Bearer <AMOKPI_ADMIN_TOKEN>"');
        expect(r.text).not.toMatch(/read-token|admin-token/);
      }
    }
    expect(await snapshot()).toEqual(before);
    // Reads keep the generic answer.
    expectProblem(await api.get('/api/v1/managers', null), 401, 'Unauthorized', /Authorization: Bearer <token>/);
  });

  describe('the token is checked before the path is decoded', () => {
    it.each(['PUT', 'GET', 'DELETE'])('%s with a malformed percent-escape and no or a wrong token is 401, not a 400 about the path', async (method) => {
      for (const token of [null, 'wrong']) {
        const r = await api.call(method, '/api/v1/plans/%ZZ/1', { token, body: method === 'PUT' ? { amount: 1 } : undefined });
        expectProblem(r, 401, 'Unauthorized');
      }
    });

    it.each(['PUT', 'DELETE'])('%s with a malformed percent-escape and the read token hears that edits need the admin token', async (method) => {
      const r = await api.call(method, '/api/v1/plans/%ZZ/1', { body: method === 'PUT' ? { amount: 1 } : undefined });
      expectProblem(r, 401, 'Unauthorized', 'plan edits need the admin token: "Authorization: Bearer <AMOKPI_ADMIN_TOKEN>"');
    });

    it.each([
      ['PUT', '/api/v1/plans/%ZZ/1'],
      ['DELETE', '/api/v1/plans/2026-12/%E0%A4%A'],
      ['PUT', '/api/v1/plans/%C3'],
    ])('with a token, %s %s is a 400 in our words (not express\'s) and changes nothing', async (method, path) => {
      const before = await snapshot();
      expectProblem(await admin(method, path, method === 'PUT' ? { amount: 1 } : undefined), 400, 'Bad Request', `the path is not valid percent-encoding: ${path}`);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('a known path with a method it does not have is 405 with Allow', () => {
    it.each([
      ['POST', '/api/v1/managers', 'GET, HEAD'],
      ['DELETE', '/api/v1/kpi/managers', 'GET, HEAD'],
      ['POST', '/api/v1/plans', 'GET, HEAD'],
      ['GET', `/api/v1/plans/2026-11/${ANNA}`, 'PUT, DELETE'],
      ['POST', '/api/v1/plans/2026-11', 'PUT'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['PUT', '/api/v1/openapi.json', 'GET, HEAD'],
      ['DELETE', '/admin/plans', 'GET, HEAD'],
    ])('%s %s', async (method, path, allow) => {
      const before = await snapshot();
      const res = await fetch(api.server.url + path, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect([res.status, res.headers.get('allow'), res.headers.get('content-type')]).toEqual([405, allow, expect.stringMatching(/^application\/problem\+json/)]);
      expect(await res.json()).toEqual({ type: 'about:blank', title: 'Method Not Allowed', status: 405, detail: `${method} is not allowed on ${path.replace(/\?.*/, '')}; allowed: ${allow}` });
      expect(await snapshot()).toEqual(before);
    });

    it('without a token an API path is still a 401 first, never a hint', async () => {
      expectProblem(await api.call('POST', '/api/v1/managers', { token: null }), 401, 'Unauthorized');
    });

    it('an unknown path stays 404', async () => {
      expectProblem(await api.call('POST', '/api/v1/nope'), 404, 'Not Found');
    });
  });
});
