export type Band = 'red' | 'yellow' | 'green';

/** red below `red`, yellow from `red` to below `green`, green at `green` and above. */
export function bandFor(completionPct: number | null, bands: { red: number; green: number }): Band | null {
  if (completionPct === null) return null;
  if (completionPct >= bands.green) return 'green';
  if (completionPct >= bands.red) return 'yellow';
  return 'red';
}
