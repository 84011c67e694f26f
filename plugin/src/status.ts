/** "data is 7 minutes old" in plain words, for Save & test. */
export function describeAge(lagSeconds: number | null): string {
  if (lagSeconds === null || !Number.isFinite(lagSeconds)) {
    return 'no sync has finished yet, so there is no data';
  }
  const minutes = Math.floor(lagSeconds / 60);
  if (minutes < 1) {
    return 'data is less than a minute old';
  }
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (minutes < 120) {
    return `data is ${plural(minutes, 'minute')} old`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `data is ${plural(hours, 'hour')} old`;
  }
  return `data is ${plural(Math.floor(hours / 24), 'day')} old`;
}
