// The two semver functions the plugin.json test uses (semver ships no types; avoid an @types package for two calls).
declare module 'semver' {
  export function validRange(range: string): string | null;
  export function valid(version: string): string | null;
  const semver: { validRange: typeof validRange; valid: typeof valid };
  export default semver;
}
