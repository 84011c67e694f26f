import zlib from 'node:zlib';
import { request } from 'undici';
import { API_TOKEN } from '../kpi/fixture';
import { useSeededAccount } from '../kpi/http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { COMPRESS_MIN_BYTES, compressLargeJson, EncodedJson } from '../../src/api/compress';

describe('KPI API: large JSON answers are compressed for clients that accept it', () => {
  const { t, api } = useSeededAccount({ api: true });
  // A year of activity for every manager on the board: well above the compression threshold.
  const big = '/api/v1/kpi/activity?from=2025-11-28&to=2026-11-27';
  const get = async (path: string, acceptEncoding?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${API_TOKEN}` };
    if (acceptEncoding) headers['accept-encoding'] = acceptEncoding;
    const r = await request(api.server.url + path, { headers });
    return { status: r.statusCode, headers: r.headers, body: Buffer.from(await r.body.arrayBuffer()) };
  };

  it('identity without Accept-Encoding; gzip and brotli carry the same JSON', async () => {
    const plain = await get(big);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(plain.body.byteLength).toBeGreaterThan(COMPRESS_MIN_BYTES);
    const json = JSON.parse(plain.body.toString('utf8'));
    expect(json.rows.length).toBeGreaterThan(365);

    const gz = await get(big, 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toMatch(/Accept-Encoding/i);
    expect(gz.body.byteLength).toBeLessThan(plain.body.byteLength / 5);
    expect(JSON.parse(zlib.gunzipSync(gz.body).toString('utf8'))).toEqual(json);

    const br = await get(big, 'br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(zlib.brotliDecompressSync(br.body).toString('utf8'))).toEqual(json);
  });

  it('small answers and errors go as they are', async () => {
    const small = await get('/api/v1/managers', 'gzip, br');
    expect(small.status).toBe(200);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString('utf8')).length).toBeGreaterThan(0);
    const bad = await get('/api/v1/kpi/activity?from=nope', 'gzip, br');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.headers['content-encoding']).toBeUndefined();
  });

  it('a kept answer is compressed once per encoding, and again once it is computed anew', async () => {
    // Not asked for compressed before (the tests above asked for `big`).
    const big = '/api/v1/kpi/activity?from=2025-12-01&to=2026-11-27';
    for (let i = 0; i < 2; i++) expect((await get(big)).status).toBe(200); // kept by now (answer-cache.ts)
    const br = jest.spyOn(zlib, 'brotliCompress');
    const gz = jest.spyOn(zlib, 'gzip');
    try {
      const bodies = [];
      for (let i = 0; i < 3; i++) bodies.push((await get(big, 'br')).body, (await get(big, 'gzip')).body);
      expect([br.mock.calls.length, gz.mock.calls.length]).toEqual([1, 1]);
      expect(bodies[2]!.equals(bodies[0]!) && bodies[4]!.equals(bodies[0]!)).toBe(true);
      expect(bodies[3]!.equals(bodies[1]!) && bodies[5]!.equals(bodies[1]!)).toBe(true);
      await t.db.none("UPDATE amo.notes SET duration_seconds = duration_seconds + 60 WHERE note_type = 'call_in'");
      const after = await get(big, 'br');
      expect(br.mock.calls.length).toBe(2);
      expect(after.body.equals(bodies[0]!)).toBe(false);
      const plain = JSON.parse((await get(big)).body.toString('utf8'));
      expect(JSON.parse(zlib.brotliDecompressSync(after.body).toString('utf8'))).toEqual(plain);
    } finally {
      br.mockRestore();
      gz.mockRestore();
    }
  });

  it('an answer in two parts (a head, then kept bytes) arrives whole, compressed or not, and its compressed form is not kept', async () => {
    const app = express();
    app.use(compressLargeJson());
    const rows = Buffer.from(`,"rows":${JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ leadId: i, name: 'Сделка ' + i })))}}`);
    let asked = 0;
    app.get('/two', (_req, res) => res.json(new EncodedJson(rows, Buffer.from(`{"asOf":"${++asked}"`))));
    const server = app.listen(0);
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/two`;
      const expected = (n: number) => ({ asOf: String(n), rows: JSON.parse(rows.subarray(8, rows.length - 1).toString('utf8')) });
      const plain = await request(url);
      const plainBody = Buffer.from(await plain.body.arrayBuffer());
      expect(plain.headers['content-length']).toBe(String(plainBody.byteLength));
      expect(JSON.parse(plainBody.toString('utf8'))).toEqual(expected(1));
      for (const n of [2, 3]) {
        const br = await request(url, { headers: { 'accept-encoding': 'br' } });
        expect(br.headers['content-encoding']).toBe('br');
        expect(JSON.parse(zlib.brotliDecompressSync(Buffer.from(await br.body.arrayBuffer())).toString('utf8'))).toEqual(expected(n));
      }
    } finally {
      server.close();
    }
  });
});