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

export function formatInstant(t: DateTime, zone: string): string {
  return t.setZone(zone).toISO({ suppressMilliseconds: true })!;
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
