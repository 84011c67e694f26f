import { parseInt8Array } from '../../src/db/int-arrays';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('bigint[] read by parseInt8Array', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ empty: true });
  });
  afterAll(() => t.drop());

  it('reads what Postgres prints for bigint[]: NULLs, negatives, zero, the exact-integer limits, empty', async () => {
    // As the stuck-deal query sends them: the array's text (::text is array_out).
    const row = await t.db.one<Record<string, string>>(
      `SELECT ARRAY[1, NULL, -3, 0, 9007199254740991, -9007199254740991, 42]::bigint[]::text AS a,
              '{}'::bigint[]::text AS empty, ARRAY[NULL]::bigint[]::text AS only_null`,
    );
    expect(parseInt8Array(row.a!)).toEqual([1, null, -3, 0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 42]);
    expect(parseInt8Array(row.empty!)).toEqual([]);
    expect(parseInt8Array(row.only_null!)).toEqual([null]);
  });

  it('every id of a generated range round-trips', async () => {
    const { a } = await t.db.one<{ a: string }>('SELECT array_agg(x * 7919 - 500000)::bigint[]::text AS a FROM generate_series(1, 5000) x');
    expect(parseInt8Array(a)).toEqual(Array.from({ length: 5000 }, (_, i) => (i + 1) * 7919 - 500000));
  });

  it('refuses text that array_out would not print for bigint[]', () => {
    for (const bad of ['', '1,2', '{1,2', '{"1"}', '{1, 2}', '{{1},{2}}', '{-}', '{1;2}', '{NUL}', '{1.5}', '{1,}', '{,1}']) {
      expect(() => parseInt8Array(bad)).toThrow(/not a bigint\[\] text/);
    }
  });
});
