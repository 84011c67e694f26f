import { ANNA, BORIS, DINA, leadWriters, PARTNERS, SALES } from './fixture';
import { useSeededAccount } from './http';

/**
 * `limit=N` ranks only the local days up to that of the N-th earliest entry (stale.ts): the answer must still be
 * exactly the first N rows of the unlimited list, whatever the filters, whichever path answers (the kept table,
 * or the history when a status event lies after "now"), and where entries of one local day straddle UTC midnight
 * and come in another order than their lead ids.
 */
describe('stuck deals with a limit', () => {
  const { t, api } = useSeededAccount({ api: true });

  let writer: ReturnType<typeof leadWriters>;

  beforeAll(async () => {
    // event ids sl001, … beside the seed's ev001, …
    writer = leadWriters(t.db, 'sl');
    const { lead, move } = writer;
    // Moscow is UTC+3. Nov 20 local: 21:30Z on Nov 19 (lead 1305's move, 00:30 local), 08:00Z (1302), 10:00Z (1306), 20:59Z (1301,
    // 23:59 local); Nov 21 local: 21:00Z on Nov 20 (1303, 00:00 local), 06:00Z (1304). Ties on a day are broken
    // by lead id, not by the instant.
    await lead(1301, ANNA, 1000, [SALES, 1003], '2026-11-20T20:59:00Z');
    await lead(1302, BORIS, 1000, [SALES, 1003], '2026-11-20T08:00:00Z');
    await lead(1303, ANNA, 1000, [SALES, 1003], '2026-11-20T21:00:00Z');
    await lead(1304, DINA, 1000, [PARTNERS, 2002], '2026-11-21T06:00:00Z');
    await lead(1305, BORIS, 1000, [SALES, 1003], '2026-11-01T10:00:00Z');
    await move(1305, '2026-11-19T21:30:00Z', [SALES, 1002], [SALES, 1003]);
    await lead(1306, DINA, 1000, [SALES, 1002], '2026-11-20T10:00:00Z');
  });

  const queries = ['', 'minDays=7', 'minDays=7&pipelineId=10', `managerId=${ANNA}`, `managerId=${BORIS}&minDays=1`, 'pipelineId=20'];

  async function everyLimitIsAPrefix(): Promise<number> {
    let checked = 0;
    for (const q of queries) {
      const all = await api.get(`/api/v1/kpi/stale-deals${q ? `?${q}` : ''}`);
      expect(all.status).toBe(200);
      const rows = all.json.rows;
      for (let n = 1; n <= rows.length + 1; n++) {
        const top = await api.get(`/api/v1/kpi/stale-deals?${q ? `${q}&` : ''}limit=${n}`);
        expect({ q, n, rows: top.json.rows }).toEqual({ q, n, rows: rows.slice(0, n) });
        checked++;
      }
    }
    return checked;
  }

  it('is the first N rows of the list, from the kept table', async () => {
    const all = await api.get('/api/v1/kpi/stale-deals');
    const days = Object.fromEntries(all.json.rows.map((r: any) => [r.leadId, r.daysInStatus]));
    // Worked out by hand from the instants above, as of Nov 27 15:00 Moscow.
    expect(days).toMatchObject({ 1301: 7, 1302: 7, 1305: 7, 1306: 7, 1303: 6, 1304: 6 });
    const order = all.json.rows.map((r: any) => r.leadId).filter((id: number) => id > 1300);
    expect(order).toEqual([1301, 1302, 1305, 1306, 1303, 1304]);
    expect(await everyLimitIsAPrefix()).toBeGreaterThan(30);
  });

  it('is the first N rows of the list when the history answers (a status event after now)', async () => {
    // A move on Dec 15 (after the frozen now): kpi.stale_deals computes the list from the history as of now.
    await writer.move(1306, '2026-12-15T10:00:00Z', [SALES, 1002], [SALES, 1003]);
    const all = await api.get('/api/v1/kpi/stale-deals');
    expect(all.json.rows.find((r: any) => r.leadId === 1306)).toMatchObject({ statusId: 1002, daysInStatus: 7 });
    expect(await everyLimitIsAPrefix()).toBeGreaterThan(30);
  });
});
