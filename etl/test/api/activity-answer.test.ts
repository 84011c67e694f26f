import { activityJson } from '../../src/api/activity-answer';
import { activity, type Activity, type ActivityRow } from '../../src/kpi/activity';
import { loadKpiContext } from '../../src/kpi/context';
import { testConfig } from '../kpi/fixture';
import { useSeededAccount } from '../kpi/http';

const bytesOf = (a: Activity) => activityJson(a).bytes;

describe('the activity answer written from pieces', () => {
  it('is JSON.stringify byte for byte, whatever the names and figures', () => {
    const names = [null, '', 'Anna', 'Менеджер «Иванова»', 'q"uote\\back\nline\ttab', '👍🏽 emoji', 'lone \ud800 surrogate', '\u0000\u001f', 'a'.repeat(300)];
    const figures = [0, -0, 1, 0.5, 12.3, 1 / 3, 1e21, 1.7976931348623157e308, -2.2250738585072014e-308, 5e-324, 123456789.12345, NaN, Infinity, -Infinity];
    let seed = 7;
    const pick = <T>(xs: T[]): T => xs[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % xs.length]!;
    for (let n = 0; n < 50; n++) {
      const rows: ActivityRow[] = [];
      const count = n === 0 ? 0 : 1 + (n * 37) % 120;
      for (let i = 0; i < count; i++) {
        const managerId = pick([7, 101, 8_000_123, 2 ** 53 - 1]);
        // the same manager mostly under one name, sometimes under another within the answer
        const managerName = i % 17 === 5 ? pick(names) : names[managerId % names.length]!;
        rows.push({ date: pick(['2026-11-01', '2026-11-30', '2025-02-28']), managerId, managerName, callMinutes: pick(figures), messages: pick([0, 3, 1000]), activityMinutes: pick(figures) });
      }
      const answer: Activity = { timezone: pick(['Europe/Moscow', 'UTC', 'America/Argentina/Buenos_Aires']), messageMinutes: pick([0.5, 1, 0.25, 2]), rows };
      expect(bytesOf(answer).toString('utf8')).toBe(JSON.stringify(answer));
      expect(bytesOf(answer).equals(Buffer.from(JSON.stringify(answer)))).toBe(true);
    }
  });

  describe('on the hand-built account', () => {
    const { t } = useSeededAccount();
    it('is JSON.stringify of activity() for a month, a manager and a range', async () => {
      const ctx = await loadKpiContext(t.db, testConfig());
      for (const [from, to, managerId] of [['2026-11-01', '2026-11-30', null], ['2026-11-01', '2026-11-30', 101], ['2026-10-15', '2026-11-27', null]] as const) {
        const answer = await activity(t.db, ctx, from, to, managerId);
        expect(answer.rows.some((r) => r.callMinutes > 0 || r.messages > 0)).toBe(true);
        expect(bytesOf(answer).equals(Buffer.from(JSON.stringify(answer)))).toBe(true);
      }
    });
  });
});
