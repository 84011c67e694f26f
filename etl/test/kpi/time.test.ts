import { DateTime } from 'luxon';
import { dayFrame, formatMillis, parseDate, parseMonth, previousPeriodDate } from '../../src/kpi/time';
import { roundTo1, change } from '../../src/kpi/department';
import { bandFor } from '../../src/kpi/bands';

describe('calendar rules', () => {
  it.each([
    ['2026-03-31', '2026-02-28'],
    ['2028-03-31', '2028-02-29'],
    ['2026-05-31', '2026-04-30'],
    ['2026-01-31', '2025-12-31'],
    ['2026-11-27', '2026-10-27'],
  ])('the previous-period date of %s is %s', (d, expected) => {
    expect(previousPeriodDate(d)).toBe(expected);
  });

  it('accepts only existing dates and months', () => {
    expect(parseDate('2028-02-29')).toBe('2028-02-29');
    for (const bad of ['2026-02-29', '2026-02-30', '2026-13-01', '2026-1-01', '20260101', '']) expect(() => parseDate(bad)).toThrow(/YYYY-MM-DD/);
    expect(parseMonth('2026-11')).toBe('2026-11-01');
    for (const bad of ['2026-13', '2026-1', '2026-11-01']) expect(() => parseMonth(bad)).toThrow(/YYYY-MM/);
  });

  it('accepts dates and months from 1970 to 9999 only (Postgres has no year 0000; CRM data is not older than 1970)', () => {
    expect([parseDate('1970-01-01'), parseDate('9999-12-31'), parseMonth('1970-01'), parseMonth('9999-12')]).toEqual(['1970-01-01', '9999-12-31', '1970-01-01', '9999-12-01']);
    expect(() => parseDate('0000-01-01')).toThrow('date 0000-01-01: must be a real calendar date from 1970-01-01 on (CRM data is not older), YYYY-MM-DD');
    expect(() => parseDate('1969-12-31', 'from')).toThrow('from 1969-12-31: must be a real calendar date from 1970-01-01 on');
    expect(() => parseDate('10000-01-01')).toThrow(/^date 10000-01-01: /);
    expect(() => parseDate('2026-02-30')).toThrow('date 2026-02-30: must be a real calendar date');
    expect(() => parseDate('')).toThrow('date "": must be a real calendar date');
    expect(() => parseMonth('0000-01')).toThrow('month 0000-01: must be a real month from 1970-01 on (CRM data is not older), YYYY-MM');
    expect(() => parseMonth('1969-12')).toThrow('month 1969-12: must be a real month from 1970-01 on');
  });

  it('frames a day in the account zone', () => {
    const now = DateTime.fromISO('2026-11-01T00:30:00+03:00');
    const today = dayFrame('2026-11-01', 'Europe/Moscow', now);
    expect(today.isToday).toBe(true);
    expect(today.periodStart.toISO()).toBe('2026-11-01T00:00:00.000+03:00');
    expect(today.asOf.toMillis()).toBe(now.toMillis());
    // Still Oct 31 in UTC, already Nov 1 in Moscow.
    const past = dayFrame('2026-10-31', 'Europe/Moscow', now);
    expect(past.isToday).toBe(false);
    expect(past.asOf.toISO()).toBe('2026-11-01T00:00:00.000+03:00');
    expect(past.month).toBe('2026-10-01');
  });

  it('rounds half away from zero to one decimal and computes changes', () => {
    expect(roundTo1(555.5555)).toBe(555.6);
    expect(roundTo1(-75.2650)).toBe(-75.3);
    expect(roundTo1(0.05)).toBe(0.1);
    expect(change(10, 0)).toEqual({ abs: 10, pct: null });
    expect(change(null, 5)).toEqual({ abs: null, pct: null });
    expect(change(5, 10)).toEqual({ abs: -5, pct: -50 });
  });

  it('colours completion by the configured bounds, on the exact ratio', () => {
    const b = { red: 80, green: 100 };
    // won of a 50 000 plan: 39 990 = 79.98 %, 40 000 = 80 %, 49 999 = 99.998 % (shown as 100.0, still 1 to go)
    expect([bandFor(39_990, 50_000, b), bandFor(40_000, 50_000, b), bandFor(49_999, 50_000, b), bandFor(50_000, 50_000, b), bandFor(90_000, 50_000, b)])
      .toEqual(['red', 'yellow', 'yellow', 'green', 'green']);
    expect([bandFor(10, null, b), bandFor(0, 0, b)]).toEqual([null, 'green']);
    expect(bandFor(40_000, 50_000, { red: 80.5, green: 90 })).toBe('red');
  });
});

describe('instant formatting', () => {
  it.each([
    ['2026-11-27T12:00:00Z', 'Europe/Moscow', '2026-11-27T15:00:00+03:00'],
    ['2026-03-29T00:59:59Z', 'Europe/Berlin', '2026-03-29T01:59:59+01:00'],
    ['2026-03-29T01:00:00Z', 'Europe/Berlin', '2026-03-29T03:00:00+02:00'],
    ['2026-11-27T12:00:00.250Z', 'Asia/Kolkata', '2026-11-27T17:30:00.250+05:30'],
    ['2026-11-27T12:00:00Z', 'America/St_Johns', '2026-11-27T08:30:00-03:30'],
    ['2026-11-27T12:00:00Z', 'UTC', '2026-11-27T12:00:00+00:00'],
  ])('%s in %s is %s (as luxon computes the offset)', (iso, zone, expected) => {
    const ms = Date.parse(iso);
    expect(formatMillis(ms, zone)).toBe(expected);
    expect(DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })!.replace(/Z$/, '+00:00')).toBe(expected);
  });

  it('rounds a zone offset that is not whole minutes, printing the local time of that same offset: the exact instant', () => {
    // Africa/Monrovia was -0:44:30 until 1972-01-07 00:00 local (00:44:30 UTC); luxon gives -44.5 minutes.
    expect(formatMillis(Date.parse('1970-06-01T12:00:00Z'), 'Africa/Monrovia')).toBe('1970-06-01T11:16:00-00:44');
    expect(formatMillis(Date.parse('1970-01-01T00:44:30Z'), 'Africa/Monrovia')).toBe('1970-01-01T00:00:30-00:44');
    // Moscow's local mean time before 1916 was +2:30:17 (150.28 minutes); this was "+02:30.28333333333333".
    expect(formatMillis(Date.parse('1900-01-01T21:29:43Z'), 'Europe/Moscow')).toBe('1900-01-01T23:59:43+02:30');
    // A change in the middle of a quarter hour: both sides of it, after the quarter was formatted once.
    expect(formatMillis(Date.parse('1972-01-07T00:44:00Z'), 'Africa/Monrovia')).toBe('1972-01-07T00:00:00-00:44');
    expect(formatMillis(Date.parse('1972-01-07T00:44:29.500Z'), 'Africa/Monrovia')).toBe('1972-01-07T00:00:29.500-00:44');
    expect(formatMillis(Date.parse('1972-01-07T00:44:30Z'), 'Africa/Monrovia')).toBe('1972-01-07T00:44:30+00:00');
    expect(formatMillis(Date.parse('1972-01-07T00:44:31Z'), 'Africa/Monrovia')).toBe('1972-01-07T00:44:31+00:00');
  });

  it('every formatted instant parses back to itself with a whole-minute offset, also in local mean time eras', () => {
    const zones = ['Africa/Monrovia', 'Europe/Moscow', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam', 'Pacific/Chatham'];
    const from = Date.parse('1880-01-01T00:00:00Z');
    const span = Date.parse('1980-01-01T00:00:00Z') - from;
    const bad: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const ms = from + Math.floor(((i * 7919) % 5_000) / 5_000 * span) + (i % 3 === 0 ? 250 : 0);
      const zone = zones[i % zones.length]!;
      const s = formatMillis(ms, zone);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?[+-]\d{2}:\d{2}$/.test(s) || Date.parse(s) !== ms) bad.push(`${new Date(ms).toISOString()} ${zone}: ${s}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('agrees with luxon on 20 000 instants from 1965 to 2040 in zones with DST, half hours and odd offsets', () => {
    const zones = ['Europe/Moscow', 'Europe/Berlin', 'America/St_Johns', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/Sao_Paulo', 'UTC'];
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const from = Date.parse('1965-01-01T00:00:00Z');
    const span = Date.parse('2040-01-01T00:00:00Z') - from;
    const mismatches: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Whole seconds mostly (amoCRM's resolution), every fifth with milliseconds.
      const ms = Math.floor(from + rand() * span) - (i % 5 === 0 ? 0 : Math.floor(from + rand() * span) % 1000);
      const zone = zones[i % zones.length]!;
      const want = DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })!.replace(/Z$/, '+00:00');
      if (formatMillis(ms, zone) !== want) mismatches.push(`${ms} ${zone}: ${formatMillis(ms, zone)} != ${want}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
