/**
 * PHP-style query-string parsing, as amoCRM (a PHP application) reads it:
 * `a[b][c]=1` → {a:{b:{c:'1'}}}, `a[]=1&a[]=2` → {a:['1','2']}, percent-encoded brackets work too.
 */
export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue };
export type ParsedQuery = Record<string, QueryValue>;

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s; // PHP keeps malformed escapes as they are
  }
}

/** Splits `filter[updated_at][from]` into ['filter', 'updated_at', 'from']; `a[]` gives ['a', '']. */
function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/g;
  re.lastIndex = open;
  let m: RegExpExecArray | null;
  let end = open;
  while ((m = re.exec(key)) !== null && m.index === end) {
    parts.push(m[1]!);
    end = re.lastIndex;
  }
  return parts;
}

export function parsePhpQuery(raw: string): ParsedQuery {
  const root: Record<string, QueryValue> = {};
  if (!raw) return root;
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    const path = keyPath(key);
    let node: Record<string, QueryValue> | QueryValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      const fresh = (): Record<string, QueryValue> | QueryValue[] => (path[i + 1] === '' ? [] : {});
      if (Array.isArray(node)) {
        // `[]` appends; an explicit index on a list addresses that element
        const idx: number = seg === '' ? node.length : Number(seg);
        if (!Number.isInteger(idx) || idx < 0) break;
        if (last) {
          node[idx] = value;
          break;
        }
        let next: QueryValue | undefined = node[idx];
        if (typeof next !== 'object') next = node[idx] = fresh();
        node = next;
      } else {
        const k: string = seg === '' ? String(Object.keys(node).length) : seg;
        if (last) {
          node[k] = value;
          break;
        }
        let next: QueryValue | undefined = node[k];
        if (typeof next !== 'object') next = node[k] = fresh();
        node = next;
      }
    }
  }
  return root;
}

/** Child of an object-valued parameter, or undefined. */
export function child(v: QueryValue | undefined, key: string): QueryValue | undefined {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v[key] : undefined;
}

/** Flattens a scalar, a comma list, an array or an index-keyed object (`a[0]=1`) to strings. */
export function stringList(v: QueryValue | undefined): string[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  const values = Array.isArray(v) ? v : Object.values(v);
  return values.flatMap((x) => stringList(x));
}

/** Integer set of an id-like filter; non-numeric parts are dropped (amoCRM ignores them). */
export function intSet(v: QueryValue | undefined): Set<number> | undefined {
  if (v === undefined) return undefined;
  const ids = stringList(v).map(Number).filter(Number.isSafeInteger);
  return new Set(ids);
}

export interface Range {
  from?: number;
  to?: number;
}

/**
 * `[from]/[to]` object, a single timestamp (= from), or the old `from,to` form. Unparseable bounds are
 * ignored, like any filter amoCRM does not understand.
 */
export function range(v: QueryValue | undefined): Range | undefined {
  if (v === undefined) return undefined;
  const num = (x: QueryValue | undefined) => (typeof x === 'string' && /^-?\d+$/.test(x.trim()) ? Number(x) : undefined);
  if (typeof v === 'string') {
    const parts = v.split(',');
    const r: Range = { from: num(parts[0]), to: parts.length > 1 ? num(parts[1]) : undefined };
    return r.from === undefined && r.to === undefined ? undefined : r;
  }
  if (Array.isArray(v)) return undefined;
  const r: Range = { from: num(v.from), to: num(v.to) };
  return r.from === undefined && r.to === undefined ? undefined : r;
}

export function inRange(value: number | null, r: Range | undefined): boolean {
  if (!r) return true;
  if (value === null) return false;
  if (r.from !== undefined && value < r.from) return false;
  if (r.to !== undefined && value > r.to) return false;
  return true;
}
