import { DateTime } from 'luxon';
import type { Config } from './config';

/** "Now" for the whole process: AMOKPI_NOW freezes it (demos, tests, reproducible reports). */
export function nowInstant(config: Pick<Config, 'now'>): DateTime {
  return config.now ? DateTime.fromISO(config.now, { setZone: true }).toUTC() : DateTime.utc();
}
