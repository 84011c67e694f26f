import fs from 'node:fs';
import path from 'node:path';
import { MAX_LIMIT } from '../../src/api/params';
import { PLUGIN_ID } from '../../src/grafana/board';
import { useSeededAccount } from '../kpi/http';
import { REPO, listFiles, readJson } from './files';

const pluginTypes = () => fs.readFileSync(path.join(REPO, 'plugin/src/types.ts'), 'utf8');
const pluginTargets = () =>
  listFiles('dashboards', /\.json$/).flatMap((f) => {
    const d = readJson(f);
    return d.panels.flatMap((p: any) => (p.targets ?? []).filter((t: any) => t.datasource?.type === PLUGIN_ID).map((t: any) => ({ d, p, t })));
  });
const tvStuckDeals = () => {
  const today = readJson('dashboards/sales-today.json');
  const panel = today.panels.find((p: any) => p.targets?.some((t: any) => t.queryType === 'staleDeals'));
  return { panel, target: panel.targets[0] };
};

describe('the stuck-deals row limit on the dashboards', () => {
  it('the TV asks for the 50 longest-stuck deals of a week or more, and says so in Russian and English', () => {
    const { panel, target } = tvStuckDeals();
    expect(target).toMatchObject({ queryType: 'staleDeals', minDays: 7, limit: 50, managerId: '$manager', pipelineId: '$pipeline' });
    const [ru, en] = panel.description.split('\n\n');
    expect(ru).toMatch(/только 50 самых давних/);
    expect(en).toMatch(/only the 50 longest-stuck/);
  });

  it('a limit is a whole number the API accepts, on stuck-deals queries only, and the plugin knows the field', () => {
    // The plugin checks the same range before asking (types.ts), so the two ceilings must agree.
    const ceiling = /export const MAX_STALE_LIMIT = ([\d_]+);/.exec(pluginTypes());
    expect(Number(ceiling?.[1]?.replace(/_/g, ''))).toBe(MAX_LIMIT);
    expect(pluginTypes()).toMatch(/^\s+limit\?: number;/m);
    expect(pluginTypes()).toMatch(/options: \['pipelineId', 'managerId', 'minDays', 'limit'\]/);
    const limited = pluginTargets().filter(({ t }) => t.limit !== undefined);
    expect(limited).toHaveLength(1); // the TV; the other boards are looked at, not re-downloaded every minute
    for (const { t } of limited) {
      expect(t.queryType).toBe('staleDeals');
      expect(Number.isInteger(t.limit)).toBe(true);
      expect(t.limit).toBeGreaterThanOrEqual(1);
      expect(t.limit).toBeLessThanOrEqual(MAX_LIMIT);
    }
  });

  describe('against the real KPI API (hand-built account, now = 2026-11-27 15:00 Moscow)', () => {
    const { api } = useSeededAccount({ api: true });

    it('the TV query with "All" managers and pipelines is accepted and answers longest first', async () => {
      const { target } = tvStuckDeals();
      // "$manager" and "$pipeline" set to All send no filter; the rest goes as it is in the panel.
      const r = await api.get(`/api/v1/kpi/stale-deals?minDays=${target.minDays}&limit=${target.limit}`);
      expect(r.status).toBe(200);
      // Open leads 11 (87 days), 12 (25), 4 (17) are in their stage a week or more; lead 10 (1 day) is not.
      expect(r.json.rows.map((x: any) => [x.leadId, x.daysInStatus])).toEqual([[11, 87], [12, 25], [4, 17]]);
    });
  });
});
