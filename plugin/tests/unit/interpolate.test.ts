import { ScopedVars } from '@grafana/data';

import { interpolateQuery, interpolateText, resolveQuery } from '../../src/interpolate';
import { AmokpiQuery } from '../../src/types';
import { FakeTemplateSrv } from '../support/templateSrv';

// A query that skipped migrateQuery (or a future caller that forgets it): ids as JSON numbers.
const numeric = { refId: 'A', version: 1, queryType: 'managers', managerId: 11, pipelineId: 7 } as unknown as AmokpiQuery;

describe('interpolation is safe with non-text fields', () => {
  // Grafana's TemplateSrv.replace calls target.replace(...), as FakeTemplateSrv does: a number there threw
  // "target.replace is not a function".
  const vars = new FakeTemplateSrv([{ name: 'manager', current: '12' }]);
  const scoped: ScopedVars = { pipeline: { text: 'Продажи', value: '7' } };

  it('interpolateText hands the template service text only', () => {
    const replace = jest.spyOn(vars, 'replace');
    expect(interpolateText(11 as unknown as string, vars, {})).toBe('11');
    expect(replace).toHaveBeenCalledWith('11', {}, expect.any(Function));
    expect(interpolateText(undefined, vars, {})).toBe('');
    expect(interpolateText(null as unknown as string, vars, {})).toBe('');
    replace.mockRestore();
  });

  it('resolveQuery and interpolateQuery accept numeric ids', () => {
    expect(resolveQuery(numeric, vars, scoped)).toEqual({ managerIds: [11], pipelineId: 7, minDays: 0, limit: undefined, date: undefined });
    expect(interpolateQuery(numeric, vars, scoped)).toMatchObject({ managerId: '11', pipelineId: '7' });
    expect(resolveQuery({ ...numeric, managerId: '$manager', pipelineId: '$pipeline' }, vars, scoped)).toMatchObject({ managerIds: [12], pipelineId: 7 });
  });
});
