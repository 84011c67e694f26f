import { EncodedJson, encodeJson } from '../../src/api/compress';
import { RenderedRows } from '../../src/api/rendered-rows';
import { testConfig } from '../kpi/fixture';
import { useSeededAccount } from '../kpi/http';

describe('KPI API: identical concurrent reads share one computation and one serialization', () => {
  // No kept answers (answer-cache.test.ts): every request here would be answered from the first one's.
  const { api } = useSeededAccount({ api: true, config: () => testConfig({ AMOKPI_ANSWER_CACHE_MB: '0' }) });

  afterEach(() => jest.restoreAllMocks());

  it('ten concurrent requests for one list: identical answers, computed fewer than ten times', async () => {
    const path = '/api/v1/kpi/stale-deals?minDays=0';
    const alone = await api.get(path);
    expect(alone.status).toBe(200);
    expect(alone.json.rows.length).toBeGreaterThan(0);

    // Each computation of the list begins its rendering once its query has answered.
    const computed = jest.spyOn(RenderedRows.prototype, 'begin');
    const answers = await Promise.all(Array.from({ length: 10 }, () => api.get(path)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers[0]!.json.rows).toEqual(alone.json.rows);
    // The computations overlapped (without sharing: 10).
    expect(computed.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(computed.mock.calls.length).toBeLessThan(10);
  });

  it('different queries do not share', async () => {
    const [all, top] = await Promise.all([api.get('/api/v1/kpi/stale-deals'), api.get('/api/v1/kpi/stale-deals?limit=1')]);
    expect(top.json.rows).toEqual(all.json.rows.slice(0, 1));
    expect(all.json.rows.length).toBeGreaterThan(1);
  });

  it('an encoded answer refuses any serializer but the API’s own', () => {
    const e = encodeJson({ a: 'ж' });
    expect(e).toBeInstanceOf(EncodedJson);
    expect(e.bytes.toString('utf8')).toBe('{"a":"ж"}');
    expect(() => JSON.stringify(e)).toThrow(/compressLargeJson/);
    expect(encodeJson(undefined).bytes.byteLength).toBe(0);
  });

  it('encodes exactly the UTF-8 of the JSON text, whatever the characters', () => {
    const samples: unknown[] = [
      {}, '', 'plain ascii', { name: 'Менеджер Иванова', n: 1.5 }, ['€', 'ü', '漢字'],
      // a surrogate pair is 2 UTF-16 units and 4 bytes; a lone surrogate is escaped by JSON.stringify
      { emoji: '👍🏽 сделка', lone: '\ud800x', nul: '\u0000' }, 'я'.repeat(50_000),
      // a short answer right after a long one (the code units' buffer is reused), and one past what is kept
      'short after long', 'ж'.repeat(9_000_000), { after: 'the one not kept' },
    ];
    for (const v of samples) {
      const bytes = encodeJson(v).bytes;
      expect(bytes.equals(Buffer.from(JSON.stringify(v)))).toBe(true);
      expect(bytes.byteLength).toBe(Buffer.byteLength(JSON.stringify(v)));
      expect(JSON.parse(bytes.toString('utf8'))).toEqual(v);
    }
  });
});
