import { JSDOM } from 'jsdom';
import { ADMIN_TOKEN, ANNA, BORIS, CARL, PARTNERS, SALES } from '../kpi/fixture';
import { useSeededAccount } from '../kpi/http';

describe('plans API and page with an optional pipelineId', () => {
  const { t, api } = useSeededAccount({ api: true });

  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api.call(method, path, { token: ADMIN_TOKEN, body, headers });
  const plansOf = (month: string) =>
    t.db.any('SELECT manager_id, pipeline_id, amount FROM app.plans WHERE month = $1 ORDER BY manager_id, pipeline_id', [month]);
  const auditOf = (month: string) =>
    t.db.any('SELECT manager_id, pipeline_id, old_amount, new_amount, changed_by FROM app.plan_audit WHERE month = $1 ORDER BY id', [month]);

  describe('the admin page', () => {
    /** The served page with its script running against the real server, as a browser would (`stored`: its localStorage). */
    async function openPage(stored: Record<string, string> = {}) {
      const page = await api.get('/admin/plans', null);
      const dom = new JSDOM(page.text, {
        url: `${api.server.url}/admin/plans`,
        runScripts: 'dangerously',
        beforeParse(window) {
          // What an earlier visit left in this browser's localStorage (each JSDOM has its own).
          for (const [k, v] of Object.entries(stored)) window.localStorage.setItem(k, v);
          (window as unknown as { fetch: typeof fetch }).fetch = (input, init) => fetch(new URL(String(input), api.server.url), init);
        },
      });
      const doc = dom.window.document;
      const el = <T extends HTMLElement>(id: string) => doc.getElementById(id) as T;
      /** Waits until the status line reads `text`, so every request the page started has been answered. */
      const status = async (text: RegExp) => {
        for (let i = 0; i < 100 && !text.test(el('msg').textContent ?? ''); i++) await new Promise((r) => setTimeout(r, 50));
        expect(el('msg').textContent).toMatch(text);
      };
      const amount = (managerId: number) => doc.querySelector<HTMLInputElement>(`#rows input[name="${managerId}"]`)!;
      return { dom, el, status, amount };
    }

    it('lists the pipelines after the first load and edits the selected pipeline plan, leaving the overall plan alone', async () => {
      const { dom, el, status, amount } = await openPage();
      try {
        el<HTMLInputElement>('token').value = ADMIN_TOKEN;
        el<HTMLInputElement>('who').value = 'Olga';
        el<HTMLFormElement>('load').requestSubmit();
        await status(/^Loaded 3 plan\(s\) for 2026-11\.$/);
        const select = el<HTMLSelectElement>('pipeline');
        expect(Array.from(select.options).map((o) => [o.value, o.textContent])).toEqual([
          ['', 'overall (all pipelines)'], ['10', 'Sales (#10)'], ['20', 'Partners (#20)'],
        ]);
        expect(el('caption').textContent).toBe('Plans for 2026-11: overall');
        expect(amount(BORIS).value).toBe('100000');

        // Choosing a pipeline reloads the table with that pipeline's plans (none yet).
        select.value = String(SALES);
        select.dispatchEvent(new dom.window.Event('change'));
        await status(/^Loaded 0 plan\(s\) for 2026-11 in pipeline Sales \(#10\)\.$/);
        expect(el('caption').textContent).toBe('Plans for 2026-11: pipeline Sales (#10)');
        expect(amount(BORIS).value).toBe('');

        amount(BORIS).value = '200000';
        el<HTMLFormElement>('plans').requestSubmit();
        await status(/^Saved 1 change\(s\) for 2026-11 in pipeline Sales \(#10\): Boris \(#102\) 200000\.$/);
        expect(amount(BORIS).value).toBe('200000');
        expect(await plansOf('2026-11-01')).toEqual([
          { manager_id: ANNA, pipeline_id: 0, amount: 160000 },
          { manager_id: BORIS, pipeline_id: 0, amount: 100000 },
          { manager_id: BORIS, pipeline_id: SALES, amount: 200000 },
          { manager_id: 104, pipeline_id: 0, amount: 50000 },
        ]);

        // An emptied amount deletes that pipeline's plan only.
        amount(BORIS).value = '';
        el<HTMLFormElement>('plans').requestSubmit();
        await status(/^Saved 1 change\(s\) for 2026-11 in pipeline Sales \(#10\): Boris \(#102\) deleted\.$/);
        expect((await plansOf('2026-11-01')).filter((p) => p.manager_id === BORIS)).toEqual([{ manager_id: BORIS, pipeline_id: 0, amount: 100000 }]);
        expect(await auditOf('2026-11-01')).toEqual([
          { manager_id: BORIS, pipeline_id: SALES, old_amount: null, new_amount: 200000, changed_by: 'api:Olga' },
          { manager_id: BORIS, pipeline_id: SALES, old_amount: 200000, new_amount: null, changed_by: 'api:Olga' },
        ]);
      } finally {
        dom.window.close();
      }
    });
    it('saves with a Cyrillic editor name, also on the next visit (the name is kept in localStorage)', async () => {
      let stored: Record<string, string> = {};
      for (const visit of [1, 2]) {
        const { el, status, amount, dom } = await openPage(stored);
        try {
          el<HTMLInputElement>('token').value = ADMIN_TOKEN;
          // The second visit finds the name the first one stored (before, every later visit failed on it).
          if (visit === 1) el<HTMLInputElement>('who').value = 'Иван Петров';
          el<HTMLFormElement>('load').requestSubmit();
          await status(/^Loaded \d+ plan\(s\) for 2026-11\.$/);
          expect(el<HTMLInputElement>('who').value).toBe('Иван Петров');
          amount(BORIS).value = String(100000 + visit);
          el<HTMLFormElement>('plans').requestSubmit();
          await status(/^Saved 1 change/);
          expect((await auditOf('2026-11-01')).at(-1)).toEqual({ manager_id: BORIS, pipeline_id: 0, old_amount: 100000 + visit - 1, new_amount: 100000 + visit, changed_by: 'api:Иван Петров' });
          stored = { amokpiWho: dom.window.localStorage.getItem('amokpiWho') ?? '' };
        } finally {
          dom.window.close();
        }
      }
      await admin('PUT', `/api/v1/plans/2026-11/${BORIS}`, { amount: 100000 });
    });

    it('saves all changed rows or none: a refused row leaves every plan as it was and names its manager', async () => {
      const { el, status, amount, dom } = await openPage();
      const before = await plansOf('2026-11-01');
      const auditBefore = await auditOf('2026-11-01');
      try {
        el<HTMLInputElement>('token').value = ADMIN_TOKEN;
        el<HTMLFormElement>('load').requestSubmit();
        await status(/^Loaded 3 plan\(s\) for 2026-11\.$/);

        // Nothing changed: nothing sent.
        el<HTMLFormElement>('plans').requestSubmit();
        await status(/^Nothing to save/);

        // Anna's row comes first and is fine; Carl's is refused by the server (he left the amoCRM account after the
        // page loaded). One request: Anna's change is not saved either.
        amount(ANNA).value = '170000';
        amount(CARL).value = '5000';
        await t.db.none('DELETE FROM amo.users WHERE id = $1', [CARL]);
        try {
          el<HTMLFormElement>('plans').requestSubmit();
          await status(/^Nothing was saved/);
        } finally {
          await t.db.none("INSERT INTO amo.users (id, name, is_active, raw) VALUES ($1, 'Carl', false, '{}')", [CARL]);
        }
        expect(el('msg').textContent).toBe('Nothing was saved for 2026-11: the row of Carl (#103) was refused: managerId 103 is not a user of the amoCRM account.');
        expect(el('msg').className).toBe('err');
        expect(await plansOf('2026-11-01')).toEqual(before);
        expect(await auditOf('2026-11-01')).toEqual(auditBefore);
        // The edits stay in the table to be corrected.
        expect([amount(ANNA).value, amount(CARL).value]).toEqual(['170000', '5000']);

        // An amount the page can tell is wrong is refused before anything is sent.
        amount(CARL).value = '99999999999999999999';
        el<HTMLFormElement>('plans').requestSubmit();
        await status(/^Nothing was saved: amounts must be whole numbers/);
        expect(el('msg').textContent).toBe('Nothing was saved: amounts must be whole numbers from 0 to 1000000000000 (Carl (#103): "99999999999999999999").');
        expect(await plansOf('2026-11-01')).toEqual(before);

        // Corrected: both saved together, and the message says what.
        amount(CARL).value = '5000';
        amount(BORIS).value = '';
        el<HTMLFormElement>('plans').requestSubmit();
        await status(/^Saved /);
        expect(el('msg').textContent).toBe('Saved 3 change(s) for 2026-11: Anna (#101) 170000, Boris (#102) deleted, Carl (#103) 5000.');
        expect(amount(ANNA).value).toBe('170000');
        expect((await plansOf('2026-11-01')).filter((p) => p.pipeline_id === 0)).toEqual([
          { manager_id: ANNA, pipeline_id: 0, amount: 170000 },
          { manager_id: CARL, pipeline_id: 0, amount: 5000 },
          { manager_id: 104, pipeline_id: 0, amount: 50000 },
        ]);
      } finally {
        dom.window.close();
        // Back to the seeded overall plans.
        await api.call('PUT', '/api/v1/plans/2026-11', { token: ADMIN_TOKEN, body: { plans: [{ managerId: ANNA, amount: 160000 }, { managerId: BORIS, amount: 100000 }, { managerId: CARL, amount: null }] } });
      }
    });
  });

  it('PUT, GET and DELETE with pipelineId work on that pipeline plan only, audited with the pipeline', async () => {
    const put = await admin('PUT', `/api/v1/plans/2026-12/${ANNA}?pipelineId=${SALES}`, { amount: 300000 }, { 'x-amokpi-user': 'Olga' });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ month: '2026-12', managerId: ANNA, managerName: 'Anna', amount: 300000, pipelineId: SALES });
    // The overall plan of the same manager and month is a separate row, answered in the old shape.
    const overall = await admin('PUT', `/api/v1/plans/2026-12/${ANNA}`, { amount: 500000 });
    expect(Object.keys(overall.json)).toEqual(['month', 'managerId', 'managerName', 'amount']);
    expect(overall.json).toEqual({ month: '2026-12', managerId: ANNA, managerName: 'Anna', amount: 500000 });
    expect((await admin('PUT', `/api/v1/plans/2026-12/${ANNA}?pipelineId=${SALES}`, { amount: 350000 })).json.amount).toBe(350000);

    expect((await api.get(`/api/v1/plans?month=2026-12&pipelineId=${SALES}`)).json).toEqual([
      { month: '2026-12', managerId: ANNA, managerName: 'Anna', amount: 350000, pipelineId: SALES },
    ]);
    const overallList = await api.get('/api/v1/plans?month=2026-12');
    expect(overallList.json).toEqual([{ month: '2026-12', managerId: ANNA, managerName: 'Anna', amount: 500000 }]);
    expect(Object.keys(overallList.json[0])).toEqual(['month', 'managerId', 'managerName', 'amount']);
    expect((await api.get(`/api/v1/plans?month=2026-12&pipelineId=${PARTNERS}`)).json).toEqual([]);

    expect((await admin('DELETE', `/api/v1/plans/2026-12/${ANNA}?pipelineId=${SALES}`)).status).toBe(204);
    expect((await admin('DELETE', `/api/v1/plans/2026-12/${ANNA}?pipelineId=${SALES}`)).status).toBe(204); // nothing left: no audit row
    expect((await api.get(`/api/v1/plans?month=2026-12&pipelineId=${SALES}`)).json).toEqual([]);
    expect(await plansOf('2026-12-01')).toEqual([{ manager_id: ANNA, pipeline_id: 0, amount: 500000 }]);
    expect(await auditOf('2026-12-01')).toEqual([
      { manager_id: ANNA, pipeline_id: SALES, old_amount: null, new_amount: 300000, changed_by: 'api:Olga' },
      { manager_id: ANNA, pipeline_id: 0, old_amount: null, new_amount: 500000, changed_by: 'api:admin-token' },
      { manager_id: ANNA, pipeline_id: SALES, old_amount: 300000, new_amount: 350000, changed_by: 'api:admin-token' },
      { manager_id: ANNA, pipeline_id: SALES, old_amount: 350000, new_amount: null, changed_by: 'api:admin-token' },
    ]);
  });

  it('a pipeline plan edit needs the admin token', async () => {
    const r = await api.call('PUT', `/api/v1/plans/2026-11/${ANNA}?pipelineId=${SALES}`, { body: { amount: 1 } });
    expect(r.status).toBe(401);
    expect(await plansOf('2026-11-01')).not.toContainEqual(expect.objectContaining({ pipeline_id: SALES }));
  });

  it.each([
    ['PUT', `/api/v1/plans/2026-11/${ANNA}?pipelineId=30`, /pipelineId 30 is not a pipeline/],
    ['PUT', `/api/v1/plans/2026-11/${ANNA}?pipelineId=abc`, /pipelineId/],
    ['PUT', `/api/v1/plans/2026-11/${ANNA}?pipelineId=0`, /pipelineId/],
    ['PUT', `/api/v1/plans/2026-11/${ANNA}?pipelineId=-10`, /pipelineId/],
    ['PUT', `/api/v1/plans/2026-11/${ANNA}?pipelineId=10&pipelineId=20`, /pipelineId/],
    ['PUT', `/api/v1/plans/2026-11/${ANNA}?pipeline=10`, /unknown parameter.*pipeline/],
    ['PUT', `/api/v1/plans/2026-11/555?pipelineId=${SALES}`, /managerId 555 is not a user/],
    ['DELETE', `/api/v1/plans/2026-11/${ANNA}?pipelineId=30`, /pipelineId 30 is not a pipeline/],
    ['DELETE', `/api/v1/plans/2026-11/${ANNA}?pipelineId=1.5`, /pipelineId/],
    ['GET', '/api/v1/plans?month=2026-11&pipelineId=30', /pipelineId 30 is not a pipeline/],
    ['GET', '/api/v1/plans?month=2026-11&pipelineId=x', /pipelineId/],
  ])('%s %s is a 400 problem and changes nothing', async (method, path, detail) => {
    const before = await t.db.any('SELECT * FROM app.plans ORDER BY month, manager_id, pipeline_id');
    const auditBefore = await t.db.one('SELECT count(*)::int AS n FROM app.plan_audit');
    const r = await admin(method, path, method === 'PUT' ? { amount: 1 } : undefined);
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.json.detail).toMatch(detail);
    expect(await t.db.any('SELECT * FROM app.plans ORDER BY month, manager_id, pipeline_id')).toEqual(before);
    expect(await t.db.one('SELECT count(*)::int AS n FROM app.plan_audit')).toEqual(auditBefore);
  });

  it('a pipeline plan set through the API shows on that pipeline board at once', async () => {
    await admin('PUT', `/api/v1/plans/2026-11/${ANNA}?pipelineId=${PARTNERS}`, { amount: 50000 });
    const board = await api.get(`/api/v1/kpi/managers?pipelineId=${PARTNERS}`);
    // L5 40000 won in Partners against 50000.
    expect(board.json.rows.find((r: { managerId: number }) => r.managerId === ANNA)).toMatchObject({
      planAmount: 50000, wonAmount: 40000, completionPct: 80, band: 'yellow', planRemainder: 10000,
    });
    const dept = await api.get(`/api/v1/kpi/department?pipelineId=${PARTNERS}`);
    expect(dept.json.current).toMatchObject({ planAmount: 50000, planRemainder: 10000 });
    const all = await api.get('/api/v1/kpi/managers');
    expect(all.json.rows.find((r: { managerId: number }) => r.managerId === ANNA)).toMatchObject({ planAmount: 160000 });
  });

  it('a pipeline deleted in amoCRM keeps its plans readable and deletable; once they are gone it is unknown', async () => {
    await t.db.none("INSERT INTO amo.pipelines (id, name, sort) VALUES (40, 'Tenders', 3)");
    expect((await admin('PUT', `/api/v1/plans/2027-02/${BORIS}?pipelineId=40`, { amount: 9000 })).status).toBe(200);
    await t.db.none('DELETE FROM amo.pipelines WHERE id = 40'); // what the pipelines sync does
    expect((await api.get('/api/v1/plans?month=2027-02&pipelineId=40')).json).toEqual([
      { month: '2027-02', managerId: BORIS, managerName: 'Boris', amount: 9000, pipelineId: 40 },
    ]);
    expect((await admin('DELETE', `/api/v1/plans/2027-02/${BORIS}?pipelineId=40`)).status).toBe(204);
    expect(await plansOf('2027-02-01')).toEqual([]);
    const again = await admin('PUT', `/api/v1/plans/2027-02/${BORIS}?pipelineId=40`, { amount: 9000 });
    expect([again.status, again.json.detail]).toEqual([400, 'pipelineId 40 is not a pipeline of the amoCRM account']);
  });
});
