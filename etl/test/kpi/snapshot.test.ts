import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { snapshotDay, backfillSnapshots } from '../../src/kpi/snapshot';
import { ANNA, BORIS, NOW, testConfig } from './fixture';
import { useSeededAccount } from './http';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../bin/amokpi.js');

describe('daily snapshots', () => {
  const config = testConfig();
  const { t, api } = useSeededAccount({ api: true, config: () => config });

  it('freezes yesterday with tasks; later amoCRM edits do not change the frozen day', async () => {
    const r = await snapshotDay(t.db, config, '2026-11-26');
    expect(r).toMatchObject({ date: '2026-11-26', source: 'snapshot', asOf: '2026-11-27T00:00:00+03:00', pipelines: 3, kept: false });

    // After the freeze: L9 (Boris, 60000, won Nov 15) is deleted and L3 is moved to lost.
    await t.db.none("UPDATE amo.leads SET deleted_at = $1 WHERE id = 9", [NOW]);
    await t.db.none(`INSERT INTO amo.events (id, type, entity_id, entity_type, created_at, value_before, value_after) VALUES
      ('late1', 'lead_status_changed', 3, 'lead', '2026-11-26T18:00:00+03:00',
       '[{"lead_status":{"id":142,"pipeline_id":10}}]', '[{"lead_status":{"id":143,"pipeline_id":10}}]')`);

    const frozen = await api.get('/api/v1/kpi/managers?date=2026-11-26');
    expect(frozen.json.source).toBe('snapshot');
    expect(frozen.json.rows.find((x: any) => x.managerId === BORIS)).toMatchObject({
      wonAmount: 130000, wonCount: 2, completionPct: 130, openTasks: 0, overdueTasks: 0, leadsWithoutTasks: 1,
    });
    // Task 1 (due Nov 27 10:00) is overdue at 15:00 but was not when Nov 26 ended: overdue is judged at the day's end.
    expect(frozen.json.rows.find((x: any) => x.managerId === ANNA)).toMatchObject({ wonAmount: 140000, openTasks: 2, overdueTasks: 0, leadsWithoutTasks: 1 });

    // The day before has no snapshot: reconstructed from the edited data (L9 gone; L3 still won then), tasks null.
    const rebuilt = await api.get('/api/v1/kpi/managers?date=2026-11-25');
    expect(rebuilt.json.source).toBe('reconstructed');
    expect(rebuilt.json.rows.find((x: any) => x.managerId === BORIS)).toMatchObject({ wonAmount: 70000, wonCount: 1, openTasks: null });

    // A second freeze of the closed day leaves it alone.
    const again = await snapshotDay(t.db, config, '2026-11-26');
    expect(again.kept).toBe(true);
    const dept = await api.get('/api/v1/kpi/department?date=2026-11-26');
    expect(dept.json.current).toMatchObject({ source: 'snapshot', wonAmount: 295000, wonCount: 5, inProgressAmount: 70000, inProgressCount: 4 });
  });

  it('per-pipeline views are frozen too', async () => {
    const r = await api.get('/api/v1/kpi/managers?date=2026-11-26&pipelineId=20');
    expect(r.json.source).toBe('snapshot');
    expect(r.json.rows.find((x: any) => x.managerId === ANNA)).toMatchObject({ planAmount: null, wonAmount: 40000, openTasks: 1 });
  });

  it('older days can only be reconstructed (marked so, tasks null); back-fill skips frozen days', async () => {
    const r = await snapshotDay(t.db, config, '2026-11-20');
    expect(r).toMatchObject({ source: 'reconstructed', asOf: '2026-11-21T00:00:00+03:00' });
    const tasks = await t.db.any("SELECT open_tasks FROM kpi.snapshot_managers WHERE day = '2026-11-20'");
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.every((x) => x.open_tasks === null)).toBe(true);
    const filled = await backfillSnapshots(t.db, config, '2026-11-18', '2026-11-26');
    expect(filled.map((x) => x.date)).toEqual(['2026-11-18', '2026-11-19', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25']);
    const board = await api.get('/api/v1/kpi/managers?date=2026-11-20');
    expect(board.json.source).toBe('reconstructed');
    await expect(snapshotDay(t.db, config, '2026-11-28')).rejects.toThrow(/after today/);
  });

  it('npx amokpi snapshot --date D prints what it froze', async () => {
    const env = { ...process.env, DATABASE_URL: t.url, AMOKPI_NOW: NOW, LOG_LEVEL: 'silent' };
    const out = await run(process.execPath, [cli, 'snapshot', '--date', '2026-11-27'], { env });
    expect(out.stdout).toMatch(/^2026-11-27: snapshot as of 2026-11-27T15:00:00\+03:00, 3 pipeline view\(s\), \d+ manager row\(s\)\n$/);
    const fill = await run(process.execPath, [cli, 'snapshot', '--from', '2026-11-10', '--to', '2026-11-12'], { env });
    // A line as each day is stored, counted: the progress of a back-fill of years.
    expect(fill.stdout).toMatch(/^1\/3 2026-11-10: reconstructed as of 2026-11-11T00:00:00\+03:00, 3 pipeline view\(s\), \d+ manager row\(s\)\n2\/3 2026-11-11: reconstructed .*\n3\/3 2026-11-12: reconstructed .*\nback-filled 3 day\(s\)\n$/);
    const bad = await run(process.execPath, [cli, 'snapshot', '--date', '2026-02-30'], { env }).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/2026-02-30/);
    // A range with no past day in it is refused in one line, not reported as "back-filled 0 day(s)".
    for (const [args, message] of [
      [['--from', '2026-11-20', '--to', '2026-11-10'], 'amokpi: --from 2026-11-20 is after --to 2026-11-10'],
      [['--from', '2026-11-27'], /^amokpi: --from 2026-11-27 is not a past day \(today is 2026-11-27 in Europe\/Moscow; /],
    ] as const) {
      const refused = await run(process.execPath, [cli, 'snapshot', ...args], { env }).catch((e) => e);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr.trim()).toMatch(message);
    }
  });
});

describe('plans CLI: set, import, export', () => {
  const { t } = useSeededAccount();
  let env: NodeJS.ProcessEnv;
  let dir: string;
  beforeAll(async () => {
    env = { ...process.env, DATABASE_URL: t.url, AMOKPI_NOW: NOW, LOG_LEVEL: 'silent' };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-plans-'));
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const plans = () => t.db.any("SELECT to_char(month, 'YYYY-MM') AS month, manager_id, amount FROM app.plans ORDER BY month, manager_id");

  it('set stores and audits one plan; bad input is refused', async () => {
    const out = await run(process.execPath, [cli, 'plans', 'set', '2027-01', '101', '250000'], { env });
    expect(out.stdout).toBe('2027-01 101 (Anna): 250000\n');
    const audit = await t.db.one("SELECT new_amount, changed_by FROM app.plan_audit WHERE month = '2027-01-01'");
    expect(audit.new_amount).toBe(250000);
    expect(audit.changed_by).toMatch(/^cli:/);
    for (const args of [['2027-13', '101', '1'], ['2027-01', '101', '-5'], ['2027-01', '101', '1.5'], ['2027-01', '777', '1']]) {
      const bad = await run(process.execPath, [cli, 'plans', 'set', ...args], { env }).catch((e) => e);
      expect(bad.code).toBe(1);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('import writes all rows or none, naming the bad line', async () => {
    const before = await plans();
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'month,managerId,amount\n2027-02,101,100\n2027-02,102,200\n2027-02,103,-1\n');
    const err = await run(process.execPath, [cli, 'plans', 'import', bad], { env }).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/line 4: amount/);
    const unknown = path.join(dir, 'unknown.csv');
    fs.writeFileSync(unknown, 'month,managerId,amount\n2027-02,101,100\n2027-02,555,200\n');
    const err2 = await run(process.execPath, [cli, 'plans', 'import', unknown], { env }).catch((e) => e);
    expect(err2.stderr).toMatch(/line 3: managerId 555 is not a user/);
    const dup = path.join(dir, 'dup.csv');
    fs.writeFileSync(dup, 'month,managerId,amount\n2027-02,101,100\n2027-02,101,200\n');
    const err3 = await run(process.execPath, [cli, 'plans', 'import', dup], { env }).catch((e) => e);
    expect(err3.stderr).toMatch(/line 3: duplicate of line 2/);
    const missing = await run(process.execPath, [cli, 'plans', 'import', path.join(dir, 'nope.csv')], { env }).catch((e) => e);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`amokpi: cannot read ${path.join(dir, 'nope.csv')}: no such file; nothing was imported\n`);
    expect(await plans()).toEqual(before);

    const good = path.join(dir, 'good.csv');
    fs.writeFileSync(good, 'month,managerId,managerName,amount\r\n2027-02,101,Anna,100\r\n2027-02,102,"Boris, Jr",200\r\n');
    const ok = await run(process.execPath, [cli, 'plans', 'import', good], { env });
    expect(ok.stdout).toMatch(/imported 2 plan/);
  });

  /** Runs the CLI expecting a failure: its one stderr line. */
  const fails = async (...args: string[]) => {
    const err = await run(process.execPath, [cli, ...args], { env }).catch((e) => e);
    expect([args.join(' '), err.code]).toEqual([args.join(' '), 1]);
    const lines = err.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0] as string;
  };

  it('months are real months from 1970-01 in set, export and import (year 0000 printed a raw Postgres error)', async () => {
    const before = await plans();
    expect(await fails('plans', 'set', '0000-01', '101', '1')).toBe('amokpi: month 0000-01: must be a real month from 1970-01 on (CRM data is not older), YYYY-MM');
    expect(await fails('plans', 'export', '--month', '0000-01')).toBe('amokpi: month 0000-01: must be a real month from 1970-01 on (CRM data is not older), YYYY-MM');
    const file = path.join(dir, 'year0.csv');
    fs.writeFileSync(file, 'month,managerId,amount\n2027-04,101,100\n0000-01,101,100\n');
    expect(await fails('plans', 'import', file)).toBe('amokpi: line 3: month 0000-01: must be a real month from 1970-01 on (CRM data is not older), YYYY-MM');
    expect(await plans()).toEqual(before);
  });

  it('set echoes the amount as typed when it is too large', async () => {
    const line = await fails('plans', 'set', '2027-04', '101', '99999999999999999999');
    expect(line).toBe('amokpi: amount must be a non-negative integer of at most 1000000000000, got "99999999999999999999"');
    expect(await fails('plans', 'set', '2027-04', '101', '1000000000001')).toBe('amokpi: amount must be a non-negative integer of at most 1000000000000, got "1000000000001"');
    expect(await fails('plans', 'set', '2027-04', '101', '1.5')).toBe('amokpi: amount must be a non-negative integer, got "1.5"');
  });

  it('ids follow the API rule: leading zeros accepted, and one too large is refused as typed, never rounded', async () => {
    const before = await plans();
    // 9999999999999999 would become 10000000000000000 as a number.
    const rule = 'must be a positive integer of at most 9007199254740991';
    expect(await fails('plans', 'set', '2027-04', '9999999999999999', '7')).toBe(`amokpi: managerId ${rule}, got "9999999999999999"`);
    expect(await fails('plans', 'set', '2027-04', '9007199254740993', '7')).toBe(`amokpi: managerId ${rule}, got "9007199254740993"`);
    expect(await fails('plans', 'set', '2027-04', '101', '7', '--pipeline', '99999999999999999999')).toBe(`amokpi: pipelineId ${rule}, got "99999999999999999999"`);
    expect(await fails('plans', 'set', '2027-04', '0', '7')).toBe(`amokpi: managerId ${rule}, got "0"`);
    expect(await fails('plans', 'set', '2027-04', '+101', '7')).toBe(`amokpi: managerId ${rule}, got "+101"`);
    // The largest id is an id: refused only because nobody has it.
    expect(await fails('plans', 'set', '2027-04', '9007199254740991', '7')).toBe('amokpi: managerId 9007199254740991 is not a user of the amoCRM account');
    const file = path.join(dir, 'ids.csv');
    fs.writeFileSync(file, 'month;managerId;amount\n2027-04;101;5\n2027-04;9999999999999999;6\n');
    expect(await fails('plans', 'import', file)).toBe(`amokpi: line 3: managerId ${rule}, got "9999999999999999"`);
    expect(await plans()).toEqual(before);
    // As the API reads PUT /api/v1/plans/M/0102 (a spreadsheet keeps an id column's zeros): manager 102.
    fs.writeFileSync(file, 'month;managerId;amount\n2027-04;0102;6\n');
    await run(process.execPath, [cli, 'plans', 'import', file], { env });
    expect((await plans()).find((p) => p.month === '2027-04' && Number(p.manager_id) === 102)?.amount).toBe(6);
    await t.db.none("DELETE FROM app.plans WHERE month = '2027-04-01' AND manager_id = 102"); // later tests count the plans
  });

  it('a header without plan rows (an export of a month with none) imports as nothing, and says so', async () => {
    const before = await plans();
    const file = path.join(dir, 'none.csv');
    const empty = await run(process.execPath, [cli, 'plans', 'export', '--month', '2031-01'], { env });
    expect(empty.stdout.trim().split('\n')).toHaveLength(1); // the header
    for (const csv of [empty.stdout, '\uFEFFmonth;managerId;amount\r\n;;\r\n\r\n']) {
      fs.writeFileSync(file, csv);
      const out = await run(process.execPath, [cli, 'plans', 'import', file], { env });
      expect(out.stdout).toBe(`nothing imported: ${file} has no plan rows under its header\n`);
    }
    expect(await plans()).toEqual(before);
  });

  it.each([
    ['an unterminated quote', 'month,managerId,amount\n2027-04,101,100\n"2027-04","102","100\n', /^amokpi: line 3: unterminated quote/],
    ['an unterminated quote on the last line without a newline', 'month,managerId,amount\n"2027-04","102","100', /^amokpi: line 2: unterminated quote/],
    ['text after a closing quote', 'month,managerId,amount\n"2027-04"x,102,100\n', /^amokpi: line 2: text after the closing quote/],
    ['extra trailing cells', 'month,managerId,amount\n2027-04,101,100\n2027-04,102,100,\n', /^amokpi: line 3: 4 cells, but the header has 3 columns/],
    ['extra trailing values', 'month,managerId,amount\n2027-04,102,100,7\n', /^amokpi: line 2: 4 cells, but the header has 3 columns/],
    ['a too large amount', 'month,managerId,amount\n2027-04,102,99999999999999999999\n', /^amokpi: line 2: amount must be a non-negative integer of at most 1000000000000, got "99999999999999999999"$/],
    ['an amount over 10^12', 'month,managerId,amount\n2027-04,102,1000000000001\n', /^amokpi: line 2: amount must be a non-negative integer of at most 1000000000000, got "1000000000001"$/],
    ['a column named twice', 'month,managerId,amount,amount\n2027-04,102,100,200\n', /^amokpi: line 1: the header names the column amount twice \("amount" in column 3, "amount" in column 4\)$/],
    ['a column named twice under two spellings', 'month;managerId;manager_id;amount\n2027-04;101;102;100\n', /^amokpi: line 1: the header names the column managerId twice \("managerId" in column 2, "manager_id" in column 3\)$/],
    ['a bad row in a file with CR line ends (old Mac Excel)', 'month,managerId,amount\r2027-04,101,100\r2027-04,102,-1\r', /^amokpi: line 3: amount must be a non-negative integer, got "-1"$/],
    ['a ";" after a quoted cell in a "," file', 'month,managerId,amount\n"2027-04";102,100\n', /^amokpi: line 2: text after the closing quote/],
  ])('import rejects %s with the line number and writes nothing', async (_what, csv, message) => {
    const before = await plans();
    const auditBefore = await t.db.one('SELECT count(*)::int AS n FROM app.plan_audit');
    const file = path.join(dir, 'strict.csv');
    fs.writeFileSync(file, csv);
    expect(await fails('plans', 'import', file)).toMatch(message);
    expect(await plans()).toEqual(before);
    expect(await t.db.one('SELECT count(*)::int AS n FROM app.plan_audit')).toEqual(auditBefore);
  });

  it.each([
    // Excel with a Russian locale: ';' between cells, so a comma in an unquoted name is text.
    ['a ";" file with an unquoted comma in a name', '\uFEFFmonth;managerId;managerName;amount\r\n2027-03;101;Кузнецов, Алексей;108\r\n2027-03;102;Борис;200\r\n'],
    ['a "," file with an unquoted ";" in a name', 'month,managerId,managerName,amount\n2027-03,101,Anna; Jr,108\n2027-03,102,Boris,200\n'],
    // What Excel writes for rows whose cells were cleared: skipped like blank lines.
    ['rows of separators only (Excel\'s cleared rows)', 'month;managerId;amount\r\n;;\r\n2027-03;101;108\r\n ; ; \r\n2027-03;102;200\r\n;;\r\n'],
    ['rows of commas only', 'month,managerId,managerName,amount\n,,,\n2027-03,101,Anna,108\n2027-03,102,Boris,200\n,,,\n'],
    ['CR line ends (old Mac Excel)', 'month;managerId;managerName;amount\r2027-03;101;"Anna\rsecond line";108\r2027-03;102;Boris;200\r'],
  ])('import reads %s', async (_what, csv) => {
    const file = path.join(dir, 'forms.csv');
    fs.writeFileSync(file, csv);
    try {
      const ok = await run(process.execPath, [cli, 'plans', 'import', file], { env });
      expect(ok.stdout).toBe(`imported 2 plan(s) from ${file}\n`);
      expect((await plans()).filter((p) => p.month === '2027-03')).toEqual([
        { month: '2027-03', manager_id: 101, amount: 108 },
        { month: '2027-03', manager_id: 102, amount: 200 },
      ]);
    } finally {
      await t.db.none("DELETE FROM app.plans WHERE month = '2027-03-01'");
    }
  });

  it('import reads a quoted name holding a comma, a quote or a line break (as export writes it)', async () => {
    const file = path.join(dir, 'quoted.csv');
    fs.writeFileSync(file, 'month,managerId,managerName,amount\n2027-05,101,"Anna ""A"", Jr",100\n2027-05,102,"Boris\nsecond line",200\n');
    const ok = await run(process.execPath, [cli, 'plans', 'import', file], { env });
    expect(ok.stdout).toMatch(/imported 2 plan/);
    expect((await plans()).filter((p) => p.month === '2027-05')).toEqual([
      { month: '2027-05', manager_id: 101, amount: 100 },
      { month: '2027-05', manager_id: 102, amount: 200 },
    ]);
    await t.db.none("DELETE FROM app.plans WHERE month = '2027-05-01'");
  });

  it('export prints CSV that imports back', async () => {
    const out = await run(process.execPath, [cli, 'plans', 'export', '--month', '2027-02'], { env });
    expect(out.stdout).toBe('month,managerId,managerName,amount\n2027-02,101,Anna,100\n2027-02,102,Boris,200\n');
    const all = await run(process.execPath, [cli, 'plans', 'export'], { env });
    expect(all.stdout.split('\n').filter(Boolean)).toHaveLength(1 + 4 + 1 + 2);
    const file = path.join(dir, 'roundtrip.csv');
    fs.writeFileSync(file, all.stdout);
    const before = await plans();
    await run(process.execPath, [cli, 'plans', 'import', file], { env });
    expect(await plans()).toEqual(before);
  });

  it('export --excel writes UTF-8 with a byte-order mark, ";" and CRLF, and imports back', async () => {
    await run(process.execPath, [cli, 'plans', 'set', '2027-06', '102', '300'], { env });
    await t.db.none("UPDATE amo.users SET name = 'Борис; старший' WHERE id = 102");
    try {
      const out = await run(process.execPath, [cli, 'plans', 'export', '--month', '2027-06', '--excel'], { env, encoding: 'buffer' });
      const bytes = out.stdout as unknown as Buffer;
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(bytes.subarray(3).toString('utf8')).toBe('month;managerId;managerName;amount\r\n2027-06;102;"Борис; старший";300\r\n');
      const file = path.join(dir, 'excel.csv');
      fs.writeFileSync(file, bytes);
      await t.db.none("DELETE FROM app.plans WHERE month = '2027-06-01'");
      const ok = await run(process.execPath, [cli, 'plans', 'import', file], { env });
      expect(ok.stdout).toMatch(/imported 1 plan/);
      expect((await plans()).filter((p) => p.month === '2027-06')).toEqual([{ month: '2027-06', manager_id: 102, amount: 300 }]);
    } finally {
      await t.db.none("UPDATE amo.users SET name = 'Boris' WHERE id = 102");
      await t.db.none("DELETE FROM app.plans WHERE month = '2027-06-01'");
    }
  });

  it('import of an empty file says that the file is empty', async () => {
    for (const [name, text] of [['empty.csv', ''], ['blank.csv', '\uFEFF\n  \n']]) {
      const file = path.join(dir, name!);
      fs.writeFileSync(file, text!);
      expect(await fails('plans', 'import', file)).toMatch(/^amokpi: the file is empty: it needs a header naming the columns month, managerId and amount/);
    }
  });

  it('export to an output that fails (> /dev/full) is one line, not a stack', async () => {
    const full = fs.openSync('/dev/full', 'w');
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, 'plans', 'export'], { env, stdio: ['ignore', full, 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(r).toEqual({ code: 1, stderr: 'amokpi: cannot write the output (ENOSPC: no space left on the device)\n' });
    } finally {
      fs.closeSync(full);
    }
  });
});
