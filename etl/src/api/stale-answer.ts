import type { Db } from '../db';
import type { KpiContext } from '../kpi/context';
import type { StageNames } from '../kpi/names';
import { leadLinkPrefix, shapeStaleRow, staleRows, type StaleDealRow, type StaleFilter } from '../kpi/stale';
import { formatInstant } from '../kpi/time';
import { EncodedJson } from './compress';
import { joinRows, RenderedRows, type RowJson } from './rendered-rows';

/** What a stuck-deal row's JSON depends on besides the row: enteredAt's zone, the link, the names of its ids. */
export interface StaleRendering {
  zone: string;
  link: string | null;
  names: StageNames;
}

function sameEntries<K>(a: Map<K, string>, b: Map<K, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function sameRendering(a: StaleRendering, b: StaleRendering): boolean {
  return a.zone === b.zone && a.link === b.link && sameEntries(a.names.users, b.names.users) &&
    sameEntries(a.names.pipelines, b.names.pipelines) && sameEntries(a.names.statuses, b.names.statuses);
}

/** The stuck-deal rows an API process has rendered (one per process: every filter shares the rows). */
export function staleRenderedRows(generationBytes?: number): RenderedRows<StaleRendering> {
  return new RenderedRows(sameRendering, generationBytes);
}

/** The lead id that begins a row's `{leadId,…}` text. */
function leadIdOf(printed: string): number {
  let id = 0;
  for (let i = 1, c = printed.charCodeAt(1); c >= 48 && c <= 57; c = printed.charCodeAt(++i)) id = id * 10 + (c - 48);
  return id;
}

/**
 * The stuck-deal answer as the API sends it: the bytes of JSON.stringify(staleDeals(…)) in UTF-8, with each row
 * Postgres returns unchanged since an earlier answer copied from `rendered` instead of shaped and encoded again.
 */
export async function staleDealsJson(db: Db, ctx: KpiContext, f: StaleFilter, rendered: RenderedRows<StaleRendering>): Promise<EncodedJson> {
  const { printed, names } = await staleRows(db, ctx, f);
  const rendering: StaleRendering = { zone: ctx.zone, link: leadLinkPrefix(ctx), names };
  rendered.begin(rendering);
  const json: RowJson[] = new Array(printed.length);
  const ids: number[] = new Array(printed.length);
  const missing: number[] = [];
  for (let i = 0; i < printed.length; i++) {
    const kept = rendered.find((ids[i] = leadIdOf(printed[i]!)), printed[i]!);
    if (kept === undefined) missing.push(i);
    else json[i] = kept;
  }
  if (missing.length > 0) {
    const values: StaleDealRow[] = missing.map((i) => shapeStaleRow(printed[i]!, names, rendering.zone, rendering.link));
    const fresh = rendered.render(missing.map((i) => ids[i]!), missing.map((i) => printed[i]!), values, 'leadId');
    missing.forEach((i, k) => (json[i] = fresh[k]!));
  }
  // The keys in StaleDeals' order: asOf, then rows.
  return new EncodedJson(joinRows(`{"asOf":${JSON.stringify(formatInstant(ctx.now, ctx.zone))},"rows":[`, json, ']}'));
}
