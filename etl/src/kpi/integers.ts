/**
 * Integer text as every entry point reads it: API parameters and path segments, the command line and the plans
 * CSV. Decimal digits only (no sign, point or exponent), leading zeros accepted (`007` is 7: spreadsheets keep
 * them in id columns), and min..max judged on the text, so 9999999999999999 is refused as typed instead of being
 * rounded to 10000000000000000 and used. Returns the number, or undefined when the text is refused.
 */
export function integerFromText(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  // Number() of digits beyond 2^53 rounds, but never below 2^53 itself: such text stays above a max of 2^53 - 1.
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

/** What an id is, as refusals say it. */
export const ID_RULE = `a positive integer of at most ${Number.MAX_SAFE_INTEGER}`;

/** An id (1 to 2^53 - 1, the largest integer a JSON number carries exactly) from text, or undefined. */
export const idFromText = (text: string): number | undefined => integerFromText(text, 1, Number.MAX_SAFE_INTEGER);
