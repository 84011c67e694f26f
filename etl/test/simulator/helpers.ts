import type { Simulator } from '../../src/simulator';

export const NOW = '2026-11-20T12:00:00Z';
export const NOW_S = Math.floor(Date.parse(NOW) / 1000);

export interface Answer {
  status: number;
  type: string | null;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Real HTTP GET against the simulator. */
export async function get(sim: Simulator | string, pathAndQuery: string, token: string | null = 'sim-token'): Promise<Answer> {
  const url = (typeof sim === 'string' ? sim : sim.url) + pathAndQuery;
  const res = await fetch(url, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type'), text, json };
}

export async function post(sim: Simulator, path: string, body: unknown): Promise<Answer> {
  const res = await fetch(sim.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, json: text ? JSON.parse(text) : undefined };
}

/** Walks `_links.next` from a first path; returns every item under `_embedded[key]` and the request count. */
export async function walk(sim: Simulator, first: string, key: string): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let href: string | undefined = sim.url + first;
  let pages = 0;
  while (href) {
    const a = await get(href, '');
    pages++;
    if (a.status === 204) break;
    if (a.status !== 200) throw new Error(`walk ${href}: ${a.status} ${a.text}`);
    items.push(...a.json._embedded[key]);
    href = a.json._links.next?.href;
  }
  return { items, pages };
}
