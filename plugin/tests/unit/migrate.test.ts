import { migrateQuery } from '../../src/migrate';
import { AmokpiQuery, QUERY_VERSION } from '../../src/types';

describe('migrateQuery', () => {
  it('returns a current query untouched (same object, so editors do not loop on onChange)', () => {
    const q: AmokpiQuery = { refId: 'A', version: 1, queryType: 'tasks', managerId: '$manager' };
    expect(migrateQuery(q)).toBe(q);
  });

  it("turns the scaffold's unversioned {queryText, constant} into a version-1 query", () => {
    expect(migrateQuery({ refId: 'B', queryText: 'activity', constant: 6.5, datasource: { uid: 'x' } })).toEqual({
      refId: 'B',
      version: QUERY_VERSION,
      queryType: 'activity',
      datasource: { uid: 'x' },
    });
  });

  it('normalises hand-written provisioning JSON: spellings, numeric ids, string min days, blank fields', () => {
    expect(
      migrateQuery({ refId: 'A', queryType: 'stale-deals', managerId: 11, pipelineId: ' 7 ', minDays: '14', date: '' })
    ).toEqual({ refId: 'A', version: 1, queryType: 'staleDeals', managerId: '11', pipelineId: '7', minDays: 14 });
    expect(migrateQuery({ refId: 'A', queryType: 'SYNC' }).queryType).toBe('syncHealth');
    expect(migrateQuery({ refId: 'A', queryType: 'department', minDays: -3 }).minDays).toBe(0);
  });

  it('normalises a hand-written limit like min days: "50" -> 50, blank or junk -> absent, out of range kept for the query error', () => {
    expect(migrateQuery({ refId: 'A', queryType: 'staleDeals', limit: '50' })).toEqual({ refId: 'A', version: 1, queryType: 'staleDeals', limit: 50 });
    expect(migrateQuery({ refId: 'A', queryType: 'staleDeals', limit: 15 }).limit).toBe(15);
    for (const absent of ['', '  ', 'abc', null, true, {}]) {
      expect(migrateQuery({ refId: 'A', queryType: 'staleDeals', limit: absent })).toEqual({ refId: 'A', version: 1, queryType: 'staleDeals' });
    }
    // resolveQuery turns these into "At most (rows) must be a whole number from 1 to 10000" rather than guess.
    expect(migrateQuery({ refId: 'A', queryType: 'staleDeals', limit: '0' }).limit).toBe(0);
    expect(migrateQuery({ refId: 'A', queryType: 'staleDeals', limit: 2.5 }).limit).toBe(2.5);
  });

  it('also normalises text numbers in a query that already says version 1 (provisioning copied from an export)', () => {
    expect(migrateQuery({ refId: 'A', version: 1, queryType: 'staleDeals', managerId: '$manager', minDays: '7', limit: '50' })).toEqual({
      refId: 'A',
      version: 1,
      queryType: 'staleDeals',
      managerId: '$manager',
      minDays: 7,
      limit: 50,
    });
    expect(migrateQuery({ refId: 'A', version: 1, queryType: 'staleDeals', limit: '' })).toEqual({ refId: 'A', version: 1, queryType: 'staleDeals' });
    const current: AmokpiQuery = { refId: 'A', version: 1, queryType: 'staleDeals', minDays: 7, limit: 50 };
    expect(migrateQuery(current)).toBe(current);
  });

  it('also turns numeric ids and a non-text date of a version-1 query into text (hand-written provisioning JSON)', () => {
    expect(migrateQuery({ refId: 'A', version: 1, queryType: 'managers', managerId: 11, pipelineId: 7 })).toEqual({
      refId: 'A',
      version: 1,
      queryType: 'managers',
      managerId: '11',
      pipelineId: '7',
    });
    // Several ids written as a JSON array become the comma-joined form a multi-value variable gives.
    expect(migrateQuery({ refId: 'A', version: 1, queryType: 'tasks', managerId: [11, '12'] }).managerId).toBe('11,12');
    for (const absent of [null, true, {}, Number.NaN]) {
      expect(migrateQuery({ refId: 'A', version: 1, queryType: 'department', pipelineId: absent, date: absent })).toEqual({
        refId: 'A',
        version: 1,
        queryType: 'department',
      });
    }
    // resolveQuery then names the field: 'Date "20260316" is ..., not a date like 2026-03-31.'
    expect(migrateQuery({ refId: 'A', version: 1, queryType: 'department', date: 20260316 }).date).toBe('20260316');
  });

  it('defaults an unknown or missing type to plan completion and keeps variables as they are', () => {
    expect(migrateQuery({ refId: 'A', queryType: 'nonsense', managerId: '$manager', date: '${asof}' })).toEqual({
      refId: 'A',
      version: 1,
      queryType: 'managers',
      managerId: '$manager',
      date: '${asof}',
    });
    expect(migrateQuery({})).toEqual({ refId: 'A', version: 1, queryType: 'managers' });
  });
});
