import { pgp } from '../../src/db/pgp';
import { int8ArrayTypes, parseInt8Array } from '../../src/db/int-arrays';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('bigint[] read by parseInt8Array', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ empty: true });
  });
  afterAll(() => t.drop());

  it('reads what Postgres prints for bigint[]: NULLs, negatives, zero, the exact-integer limits, empty', async () => {
    const rows = await t.db.any(
      new pgp.ParameterizedQuery({
        text: `SELECT ARRAY[1, NULL, -3, 0, 9007199254740991, -9007199254740991, 42]::bigint[] AS a,
                      '{}'::bigint[] AS empty, ARRAY[NULL]::bigint[] AS only_null, NULL::bigint[] AS none,
                      ARRAY[7]::int[] AS int4s, 5::bigint AS plain`,
        types: int8ArrayTypes,
      }),
    );
    expect(rows).toEqual([
      {
        a: [1, null, -3, 0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 42],
        empty: [],
        only_null: [null],
        none: null,
        // other types keep the driver's parsers (int4[] is pg-types' own; int8 is pgp.ts's Number)
        int4s: [7],
        plain: 5,
      },
    ]);
  });

  it('every id of a generated range round-trips', async () => {
    const [{ a }] = await t.db.any(
      new pgp.ParameterizedQuery({ text: 'SELECT array_agg(x * 7919 - 500000)::bigint[] AS a FROM generate_series(1, 5000) x', types: int8ArrayTypes }),
    );
    expect(a).toEqual(Array.from({ length: 5000 }, (_, i) => (i + 1) * 7919 - 500000));
  });

  it('refuses text that array_out would not print for bigint[]', () => {
    for (const bad of ['', '1,2', '{1,2', '{"1"}', '{1, 2}', '{{1},{2}}', '{-}', '{1;2}', '{NUL}', '{1.5}', '{1,}', '{,1}']) {
      expect(() => parseInt8Array(bad)).toThrow(/not a bigint\[\] text/);
    }
  });
});
