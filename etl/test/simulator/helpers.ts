/* eslint-disable @typescript-eslint/no-explicit-any */
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

export async function post(sim: Simulator | string, path: string, body: unknown): Promise<Answer> {
  const res = await fetch((typeof sim === 'string' ? sim : sim.url) + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
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

/**
 * The dataset invariants every consumer relies on; returns human-readable violations (empty = fine):
 * a lead's last lead_status_changed ends at its current stage, changes chain, and a closed lead's
 * closed_at is its last move into that closed status.
 */
export function historyViolations(ds: { leads: object[]; deletedLeads: object[]; events: object[] }): string[] {
  const history = new Map<number, any[]>();
  for (const e of ds.events as any[]) {
    if (e.type !== 'lead_status_changed') continue;
    const list = history.get(e.entity_id) ?? [];
    list.push(e);
    history.set(e.entity_id, list);
  }
  const out: string[] = [];
  for (const lead of [...ds.leads, ...ds.deletedLeads] as any[]) {
    const events = (history.get(lead.id) ?? []).sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
    if (events.length === 0) continue;
    const last = events[events.length - 1].value_after[0].lead_status;
    if (last.id !== lead.status_id || last.pipeline_id !== lead.pipeline_id) out.push(`lead ${lead.id}: history ends at ${last.pipeline_id}/${last.id}, lead is at ${lead.pipeline_id}/${lead.status_id}`);
    for (let i = 1; i < events.length; i++) {
      if (JSON.stringify(events[i].value_before) !== JSON.stringify(events[i - 1].value_after)) out.push(`lead ${lead.id}: event ${events[i].id} does not start where ${events[i - 1].id} ended`);
    }
    if (lead.status_id === 142 || lead.status_id === 143) {
      const into = events.filter((e) => e.value_after[0].lead_status.id === lead.status_id);
      if (into.length === 0 || into[into.length - 1].created_at !== lead.closed_at) out.push(`lead ${lead.id}: closed_at ${lead.closed_at} is not its last move into ${lead.status_id}`);
    }
  }
  return out;
}
