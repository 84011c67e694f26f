import type { Query, QueryValue } from './api';

/**
 * Encodes a query the way PHP parses it, which is what amoCRM expects: `filter[updated_at][from]=1`,
 * `filter[type][]=a&filter[type][]=b`, `filter[statuses][0][pipeline_id]=7`. Brackets stay literal
 * (amoCRM's own `_links` do the same); undefined and null values are left out.
 */
export function encodeQuery(query: Query | undefined): string {
  const parts: string[] = [];
  const add = (key: string, value: QueryValue): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      // Scalars as `key[]`, objects need an index so their fields stay together.
      value.forEach((v, i) => add(isObject(v) || Array.isArray(v) ? `${key}[${i}]` : `${key}[]`, v));
    } else if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) add(`${key}[${encodeURIComponent(k)}]`, v);
    } else {
      parts.push(`${key}=${encodeURIComponent(String(value))}`);
    }
  };
  for (const [k, v] of Object.entries(query ?? {})) add(encodeURIComponent(k), v);
  return parts.join('&');
}

function isObject(v: QueryValue): v is { [k: string]: QueryValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
