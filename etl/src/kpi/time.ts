import { DateTime } from 'luxon';

/** Thrown for a parameter the KPI layer cannot accept; the API turns it into a 400. */
export class KpiInputError extends Error {
  override name = 'KpiInputError';
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const MONTH_RE = /^\d{4}-\d{2}$/;

/** A calendar date `YYYY-MM-DD` that exists (2026-02-30 does not). */
export function parseDate(value: string, name = 'date'): string {
  const d = DATE_RE.test(value) ? DateTime.fromISO(value, { zone: 'UTC' }) : undefined;
  if (!d?.isValid) throw new KpiInputError(`${name} must be an existing calendar date YYYY-MM-DD, got "${value}"`);
  return value;
}

/** A month `YYYY-MM`; returns its first day `YYYY-MM-01`. */
export function parseMonth(value: string, name = 'month'): string {
  const d = MONTH_RE.test(value) ? DateTime.fromISO(`${value}-01`, { zone: 'UTC' }) : undefined;
  if (!d?.isValid) throw new KpiInputError(`${name} must be a month YYYY-MM, got "${value}"`);
  return `${value}-01`;
}

const offsetCache = new Map<string, Map<number, number>>();

/** The zone's UTC offset in minutes at an instant, cached per zone and quarter hour (offsets change on quarter hours at the finest). */
function offsetMinutes(ms: number, zone: string): number {
  let byQuarter = offsetCache.get(zone);
  if (!byQuarter) offsetCache.set(zone, (byQuarter = new Map()));
  const key = Math.floor(ms / 900_000);
  let off = byQuarter.get(key);
  if (off === undefined) {
    off = DateTime.fromMillis(key * 900_000, { zone }).offset;
    if (byQuarter.size > 100_000) byQuarter.clear();
    byQuarter.set(key, off);
  }
  return off;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const PAD2 = Array.from({ length: 60 }, (_, i) => pad2(i));
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a day number (days since 1970-01-01), cached: a list spans a few thousand days at most. */
const dateCache = new Map<number, string>();
function isoDate(day: number): string {
  let s = dateCache.get(day);
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dateCache.size > 100_000) dateCache.clear();
    dateCache.set(day, s);
  }
  return s;
}

const offsetText = (off: number) => {
  const a = Math.abs(off);
  return `${off < 0 ? '-' : '+'}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`;
};

/**
 * An instant as ISO-8601 with the zone's offset (2026-11-27T15:00:00+03:00; milliseconds only when non-zero).
 * Hand-rolled, without Date#toISOString per call: a stuck-deal list formats tens of thousands of instants per
 * request (measured at 15 700 rows: 8.3 ms with toISOString, see the KPI section of the README for after).
 */
export function formatMillis(ms: number, zone: string): string {
  const off = offsetMinutes(ms, zone);
  const local = ms + off * 60_000;
  const day = Math.floor(local / DAY_MS);
  let rest = local - day * DAY_MS;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const sec = rest % 60;
  rest = (rest - sec) / 60;
  const min = rest % 60;
  const hour = (rest - min) / 60;
  const time = `${PAD2[hour]}:${PAD2[min]}:${PAD2[sec]}${milli === 0 ? '' : `.${String(milli).padStart(3, '0')}`}`;
  return `${isoDate(day)}T${time}${offsetText(off)}`;
}

export function formatInstant(t: DateTime, zone: string): string {
  return formatMillis(t.toMillis(), zone);
}

/** Start of a calendar day in the zone. */
export function startOfDay(date: string, zone: string): DateTime {
  return DateTime.fromISO(date, { zone }).startOf('day');
}

export function todayIn(now: DateTime, zone: string): string {
  return now.setZone(zone).toISODate()!;
}

/** D minus one calendar month, clamped to that month's last day (Mar 31 → Feb 28/29). */
export function previousPeriodDate(date: string): string {
  // luxon clamps month arithmetic to the target month's last day.
  return DateTime.fromISO(date, { zone: 'UTC' }).minus({ months: 1 }).toISODate()!;
}

/** The frame of a board date D: its month, period start, as-of instant T and whether D is today. */
export interface DayFrame {
  date: string;
  /** First day of D's month, YYYY-MM-01. */
  month: string;
  periodStart: DateTime;
  asOf: DateTime;
  isToday: boolean;
}

/** T = now when D is today (unless endOfDay), else D+1 00:00 in the zone. */
export function dayFrame(date: string, zone: string, now: DateTime, opts: { endOfDay?: boolean } = {}): DayFrame {
  const start = startOfDay(date, zone);
  const isToday = todayIn(now, zone) === date;
  const asOf = isToday && !opts.endOfDay ? now : start.plus({ days: 1 });
  const periodStart = start.startOf('month');
  return { date, month: periodStart.toISODate()!, periodStart, asOf, isToday };
}

/** Whole days from a to b inclusive (dates YYYY-MM-DD). */
export function daysInclusive(from: string, to: string): number {
  return DateTime.fromISO(to, { zone: 'UTC' }).diff(DateTime.fromISO(from, { zone: 'UTC' }), 'days').days + 1;
}

export function monthBounds(date: string): { first: string; last: string } {
  const d = DateTime.fromISO(date, { zone: 'UTC' });
  return { first: d.startOf('month').toISODate()!, last: d.endOf('month').toISODate()! };
}
