import { ENTRY_BYTES, joinRows, RenderedRows, type RowJson } from '../../src/api/rendered-rows';
import { staleDealsJson, staleRenderedRows } from '../../src/api/stale-answer';
import { loadKpiContext, type KpiContext } from '../../src/kpi/context';
import { staleDeals, type StaleFilter } from '../../src/kpi/stale';
import { ANNA, testConfig } from '../kpi/fixture';
import { useSeededAccount } from '../kpi/http';

const text = (r: RowJson) => r.text.subarray(r.start, r.end).toString('utf8');
/** Renders values as rows 1, 2, … (or the ids given), printed as `{id,1}`. */
function renderAs<C>(rows: RenderedRows<C>, values: object[], ids = values.map((_, i) => i + 1), firstKey = 'a'): RowJson[] {
  return rows.render(ids, ids.map((id) => `{${id},1}`), values, firstKey);
}

describe('rendered rows: what is kept and for how long', () => {
  const sameKey = (a: string, b: string) => a === b;

  it('keeps each row’s part of one JSON text, whatever the characters', () => {
    const rows = new RenderedRows(sameKey);
    rows.begin('c');
    const values = [
      { leadId: 1, name: 'Менеджер «Иванова»', e: '👍🏽', lone: '\ud800', q: '"\\\n' },
      // what separates two rows, inside a string: escaped, so not a boundary
      { leadId: 2, name: ',{"leadId":3}', n: null },
      { leadId: 3, name: 'ж'.repeat(100_000), price: 1.5 },
      { leadId: 4 },
    ];
    const kept = renderAs(rows, values, undefined, 'leadId');
    expect(kept.map(text)).toEqual(values.map((v) => JSON.stringify(v)));
    values.forEach((v, i) => {
      expect(kept[i]!.text.subarray(kept[i]!.start, kept[i]!.end).equals(Buffer.from(JSON.stringify(v)))).toBe(true);
      expect(text(rows.find(i + 1, `{${i + 1},1}`)!)).toBe(JSON.stringify(v));
    });
    expect(renderAs(rows, [], [], 'leadId')).toEqual([]);
    expect(() => renderAs(rows, [{ other: 1 }, { other: 2 }], [9, 10], 'leadId')).toThrow(/row 0 of 2/);
  });

  it('finds a row only as it was printed, all of it', () => {
    const rows = new RenderedRows(sameKey);
    rows.begin('c');
    rows.render([1, 3], ['{1,2}"Lead 1', '{3,4}'], [{ a: 'one' }, { a: 'three' }], 'a');
    expect(text(rows.find(1, '{1,2}"Lead 1')!)).toBe('{"a":"one"}');
    expect(rows.find(1, '{1,2}"Lead 1 (renamed)')).toBeUndefined();
    expect(rows.find(1, '{1,5}"Lead 1')).toBeUndefined();
    expect(rows.find(3, '{3,4}"')).toBeUndefined();
    expect(rows.find(5, '{5,6}')).toBeUndefined();
    // The renamed row's rendering replaces the old one.
    rows.render([1], ['{1,2}"Lead 1 (renamed)'], [{ a: 'renamed' }], 'a');
    expect(text(rows.find(1, '{1,2}"Lead 1 (renamed)')!)).toBe('{"a":"renamed"}');
    expect(rows.find(1, '{1,2}"Lead 1')).toBeUndefined();
  });

  it('drops everything when the context changes, not when an equal one comes', () => {
    const rows = new RenderedRows<{ zone: string }>((a, b) => a.zone === b.zone);
    rows.begin({ zone: 'Europe/Moscow' });
    renderAs(rows, [{ a: 1 }]);
    rows.begin({ zone: 'Europe/Moscow' });
    expect(rows.find(1, '{1,1}')).toBeDefined();
    rows.begin({ zone: 'Asia/Vladivostok' });
    expect(rows.find(1, '{1,1}')).toBeUndefined();
    expect(rows.size).toBe(0);
  });

  it('holds two generations: a row used in the old one is carried over, one not used since is dropped', () => {
    // Rows of 50 bytes of JSON and a 5-character printed text: the second row fills a generation.
    const one = 50 + 5 + ENTRY_BYTES;
    const rows = new RenderedRows(sameKey, 2 * one - 1);
    rows.begin('c');
    const value = (c: string) => ({ a: c.repeat(44) });
    renderAs(rows, [value('a')], [1]);
    renderAs(rows, [value('b')], [2]); // young is full: {1, 2} become the old generation
    expect(text(rows.find(1, '{1,1}')!)).toBe(JSON.stringify(value('a'))); // carried into the young one
    renderAs(rows, [value('c')], [3]); // full again: {1, 3} old, {2} dropped
    expect(rows.find(2, '{2,1}')).toBeUndefined();
    expect(text(rows.find(1, '{1,1}')!)).toBe(JSON.stringify(value('a')));
    expect(text(rows.find(3, '{3,1}')!)).toBe(JSON.stringify(value('c')));
    expect(rows.size).toBeLessThanOrEqual(3);
  });

  it('joins rows as JSON.stringify joins array elements, in any order and from any rendering', () => {
    const rows = new RenderedRows(sameKey);
    rows.begin('c');
    const values = [{ a: 'ж' }, { a: [1, null] }, { a: '"' }, { a: 4 }, { a: '👍🏽' }];
    const kept = renderAs(rows, values);
    const other = renderAs(rows, [{ a: 'x' }, { a: 'y' }], [10, 11]);
    const all = [...kept, ...other];
    const allValues = [...values, { a: 'x' }, { a: 'y' }];
    // Runs of one rendering, a row skipped, reversed, interleaved: the bytes are JSON.stringify's each time.
    for (const order of [[0, 1, 2, 3, 4], [0, 1, 3, 4], [4, 3, 2, 1, 0], [0, 5, 1, 6, 2], [5, 6, 0, 1], [2], []]) {
      const bytes = joinRows('{"asOf":"я","rows":[', order.map((i) => all[i]!), ']}');
      expect(bytes.toString('utf8')).toBe(JSON.stringify({ asOf: 'я', rows: order.map((i) => allValues[i]) }));
    }
    // A row of another rendering that begins where the previous row's next one would: not one range.
    const [first] = renderAs(rows, [{ a: 1 }], [20]); // bytes 1..8 of [{"a":1}]
    const [, second] = renderAs(rows, [{ a: 3 }, { a: 4 }], [21, 22]); // bytes 9..16
    expect(second!.start).toBe(first!.end + 1);
    expect(joinRows('[', [first!, second!], ']').toString('utf8')).toBe('[{"a":1},{"a":4}]');
  });
});

/**
 * The API's stuck-deal answer is rendered from kept rows; it must be byte for byte JSON.stringify of staleDeals'
 * objects after every kind of change a row's rendering depends on, and rows must be re-rendered only when they
 * changed.
 */
describe('the stuck-deal answer from rendered rows, on real Postgres', () => {
  const { t } = useSeededAccount();
  const ALL: StaleFilter = { minDays: 0, managerId: null, pipelineId: null, limit: null };
  let openLead: number;

  beforeAll(async () => {
    ({ lead_id: openLead } = await t.db.one<{ lead_id: number }>('SELECT lead_id FROM kpi.open_deals ORDER BY lead_id LIMIT 1'));
  });
  afterEach(() => jest.restoreAllMocks());

  const context = (env: Record<string, string> = {}) => loadKpiContext(t.db, testConfig(env));

  /** The answer's bytes, checked against the objects' JSON; returns how many rows were rendered for it. */
  async function answer(rendered: ReturnType<typeof staleRenderedRows>, ctx: KpiContext, f: StaleFilter = ALL): Promise<{ renders: number; rows: number }> {
    const expected = Buffer.from(JSON.stringify(await staleDeals(t.db, ctx, f)));
    const stringify = jest.spyOn(JSON, 'stringify');
    const bytes = (await staleDealsJson(t.db, ctx, f, rendered)).toBuffer();
    // Rows are rendered as an array of the stuck-deal rows missing.
    const renders = stringify.mock.calls.reduce((n, [v]) => n + (Array.isArray(v) && v.length > 0 && 'leadId' in v[0] ? v.length : 0), 0);
    stringify.mockRestore();
    expect(bytes.toString('utf8')).toBe(expected.toString('utf8'));
    expect(bytes.equals(expected)).toBe(true);
    return { renders, rows: JSON.parse(bytes.toString('utf8')).rows.length };
  }

  it('renders each row once, then again only for what changed', async () => {
    const rendered = staleRenderedRows();
    const ctx = await context();
    const cold = await answer(rendered, ctx);
    expect(cold.rows).toBeGreaterThan(3);
    expect(cold.renders).toBe(cold.rows);
    expect((await answer(rendered, ctx)).renders).toBe(0);
    // Other filters reuse the rows already rendered.
    expect(await answer(rendered, ctx, { ...ALL, limit: 2 })).toEqual({ renders: 0, rows: 2 });
    expect((await answer(rendered, ctx, { ...ALL, managerId: ANNA })).renders).toBe(0);
    expect((await answer(rendered, ctx, { ...ALL, minDays: 5, pipelineId: 10 })).renders).toBe(0);

    // One lead renamed (a name that JSON must escape), then repriced: that row only, each time.
    await t.db.none(`UPDATE amo.leads SET name = $2 WHERE id = $1`, [openLead, 'Сделка {"Ромашка"} \\ 👍🏽\n\ttab']);
    expect((await answer(rendered, ctx)).renders).toBe(1);
    // No name and an empty one are different answers (null and "").
    await t.db.none(`UPDATE amo.leads SET name = NULL WHERE id = $1`, [openLead]);
    expect((await answer(rendered, ctx)).renders).toBe(1);
    await t.db.none(`UPDATE amo.leads SET name = '' WHERE id = $1`, [openLead]);
    expect((await answer(rendered, ctx)).renders).toBe(1);
    await t.db.none(`UPDATE amo.leads SET name = $2 WHERE id = $1`, [openLead, 'Сделка {"Ромашка"} \\ 👍🏽\n\ttab']);
    expect((await answer(rendered, ctx)).renders).toBe(1);
    await t.db.none(`UPDATE amo.leads SET price = price + 1 WHERE id = $1`, [openLead]);
    expect((await answer(rendered, ctx)).renders).toBe(1);
    // A manager, a pipeline or a stage renamed: every row is rendered again (names are looked up by id).
    await t.db.none(`UPDATE amo.users SET name = 'Анна «Главная»' WHERE id = $1`, [ANNA]);
    expect((await answer(rendered, ctx)).renders).toBe(cold.rows);
    await t.db.none(`UPDATE amo.statuses SET name = 'Переговоры' WHERE pipeline_id = 10 AND id = 1003`);
    expect((await answer(rendered, ctx)).renders).toBe(cold.rows);
    await t.db.none(`UPDATE amo.pipelines SET name = 'Продажи' WHERE id = 10`);
    expect((await answer(rendered, ctx)).renders).toBe(cold.rows);
    expect((await answer(rendered, ctx)).renders).toBe(0);

    // The next day: every row's days in status, so every row.
    const tomorrow = await context({ AMOKPI_NOW: '2026-11-28T15:00:00+03:00' });
    expect((await answer(rendered, tomorrow)).renders).toBe(cold.rows);
    // Another zone (enteredAt's offset) and no amoCRM link: every row, each time.
    const vladivostok = await context({ AMOKPI_TIMEZONE: 'Asia/Vladivostok' });
    expect((await answer(rendered, vladivostok)).renders).toBe(cold.rows);
    expect((await answer(rendered, { ...ctx, amocrmBaseUrl: null })).renders).toBe(cold.rows);
    expect((await answer(rendered, ctx)).renders).toBe(cold.rows);
  });

  it('stays exact when a row is rewritten between the list and the rows it asks for', async () => {
    const rendered = staleRenderedRows();
    const ctx = await context();
    await answer(rendered, ctx);
    // One row changed since: Postgres sends it as a new version key, and the row is asked for by that version. A
    // write lands in between: the version is gone, and the list is read again with every row printed.
    await t.db.none('UPDATE amo.leads SET price = price + 1 WHERE id = $1', [openLead]);
    const seen = { lists: 0, asked: 0, written: 0 };
    const racing = new Proxy(t.db, {
      get(db, key, receiver) {
        if (key !== 'any') return Reflect.get(db, key, receiver);
        return async (...args: Parameters<typeof db.any>) => {
          const rows = await db.any(...args);
          const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text;
          if (/kpi\.stale_deals\(/.test(text)) seen.lists++;
          if (/kpi\.stale_deal_versions\(/.test(text)) seen.asked++;
          if (seen.lists === 1 && seen.written === 0) {
            seen.written++;
            await db.none('UPDATE amo.leads SET price = price + 7 WHERE id = $1', [openLead]);
          }
          return rows;
        };
      },
    });
    const bytes = (await staleDealsJson(racing, ctx, ALL, rendered)).toBuffer();
    expect(seen).toEqual({ lists: 2, asked: 1, written: 1 });
    const now = await staleDeals(t.db, ctx, ALL);
    expect(bytes.toString('utf8')).toBe(JSON.stringify(now));
    const { price } = await t.db.one<{ price: number }>('SELECT price::int FROM amo.leads WHERE id = $1', [openLead]);
    expect(now.rows.find((r) => r.leadId === openLead)!.price).toBe(price);
    // The list read again kept every row under its version key.
    expect((await answer(rendered, ctx)).renders).toBe(0);
  });

  it('stays exact when another process keeps another zone: rows come printed, then as versions again', async () => {
    const rendered = staleRenderedRows();
    const ctx = await context();
    const cold = await answer(rendered, ctx);
    expect((await answer(rendered, ctx)).renders).toBe(0);
    // kpi.open_deals' days are now in UTC: this process's zone's days are computed per row, each row printed.
    await t.db.one('SELECT kpi.use_activity_zone($1)', ['UTC']);
    expect((await answer(rendered, ctx)).renders).toBe(cold.rows);
    expect((await answer(rendered, ctx)).renders).toBe(0);
    // Back to this zone: every row has a new version.
    await t.db.one('SELECT kpi.use_activity_zone($1)', [ctx.zone]);
    expect((await answer(rendered, ctx)).renders).toBe(cold.rows);
    expect((await answer(rendered, ctx)).renders).toBe(0);
  });

  it('stays exact when the rows outgrow the generations', async () => {
    // ~300 bytes a row: a generation holds one or two of them.
    const rendered = staleRenderedRows(400);
    const ctx = await context();
    for (let i = 0; i < 3; i++) await answer(rendered, ctx);
    await answer(rendered, ctx, { ...ALL, limit: 1 });
    // Fewer than the 4 open deals are kept: the oldest generation went.
    expect(rendered.size).toBeLessThan(4);
  });
});
