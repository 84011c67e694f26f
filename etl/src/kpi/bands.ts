export type Band = 'red' | 'yellow' | 'green';

/**
 * red below `red` %, yellow from `red` to below `green`, green at `green` and above; null without a plan.
 * Judged on the exact ratio, not the rounded completionPct: 49 980 of 50 000 is 99.96 %, shown as 100.0, and
 * still a plan not met (20 to go), so yellow. A zero plan counts as met.
 */
export function bandFor(wonAmount: number, planAmount: number | null, bands: { red: number; green: number }): Band | null {
  if (planAmount === null) return null;
  const pct100 = wonAmount * 100; // compared as won × 100 against bound × plan: no division, no rounding
  if (planAmount === 0 || pct100 >= bands.green * planAmount) return 'green';
  if (pct100 >= bands.red * planAmount) return 'yellow';
  return 'red';
}
