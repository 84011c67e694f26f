import { IANAZone } from 'luxon';
import type { Rng } from './random';

const HOUR = 3600;
const DAY = 86400;

/** Mon–Fri for a day number since 1970-01-01 (a Thursday). */
function isWorkday(day: number): boolean {
  const weekday = (((day + 4) % 7) + 7) % 7; // 0 = Sunday
  return weekday >= 1 && weekday <= 5;
}

/** Account-zone calendar helpers; offsets are cached per hour so generating 100k events stays cheap. */
export class ZoneClock {
  private readonly zone: IANAZone;
  private readonly offsets = new Map<number, number>();

  constructor(readonly timezone: string) {
    if (!IANAZone.isValidZone(timezone)) throw new Error(`simulator: unknown time zone "${timezone}"`);
    this.zone = IANAZone.create(timezone);
  }

  /** Offset from UTC in seconds at instant t (seconds). */
  offset(t: number): number {
    const key = Math.floor(t / HOUR);
    let off = this.offsets.get(key);
    if (off === undefined) {
      off = this.zone.offset(key * HOUR * 1000) * 60;
      this.offsets.set(key, off);
    }
    return off;
  }

  /** "+03:00" style offset at t. */
  offsetLabel(t: number): string {
    const off = this.offset(t);
    const sign = off < 0 ? '-' : '+';
    const abs = Math.abs(off);
    return `${sign}${String(Math.floor(abs / HOUR)).padStart(2, '0')}:${String(Math.floor((abs % HOUR) / 60)).padStart(2, '0')}`;
  }

  /** t if it falls on a weekday 09:00–19:00 local, else the next working morning (09:00–10:30). */
  workTime(t: number, rng: Rng): number {
    const off = this.offset(t);
    const local = t + off;
    const sod = ((local % DAY) + DAY) % DAY;
    let day = Math.floor(local / DAY);
    if (isWorkday(day) && sod >= 9 * HOUR && sod < 19 * HOUR) return t;
    if (sod >= 9 * HOUR || !isWorkday(day)) day++;
    while (!isWorkday(day)) day++;
    return day * DAY + 9 * HOUR + rng.int(0, 5400) - off;
  }
}
