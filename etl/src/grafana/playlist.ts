import { z } from 'zod';
import { GrafanaClient, GrafanaError, describeBody } from './client';
import type { PlaylistSpec } from './board';

export type PlaylistApi = 'playlist.grafana.app/v1' | 'playlist.grafana.app/v0alpha1' | 'legacy /api/playlists';

export interface PlaylistResult {
  api: PlaylistApi;
  uid: string;
  action: 'created' | 'updated' | 'unchanged';
}

const item = z.object({ type: z.string(), value: z.string() });
const resource = z.object({
  metadata: z.object({ name: z.string(), resourceVersion: z.string().optional() }).passthrough(),
  spec: z.object({ title: z.string(), interval: z.string(), items: z.array(item).nullish() }).passthrough(),
});
const legacyList = z.array(z.object({ uid: z.string(), name: z.string() }).passthrough());
const legacyOne = z.object({ uid: z.string(), name: z.string(), interval: z.string(), items: z.array(item).nullish() }).passthrough();

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new GrafanaError(`unexpected answer from Grafana to ${what}: ${describeBody(body)}`);
  return r.data;
}

function sameSpec(a: { title?: string; name?: string; interval: string; items?: { type: string; value: string }[] | null }, spec: PlaylistSpec): boolean {
  const items = (a.items ?? []).map((i) => `${i.type}:${i.value}`).join(',');
  return (a.title ?? a.name) === spec.title && a.interval === spec.interval && items === spec.items.map((i) => `${i.type}:${i.value}`).join(',');
}

/** The app-platform (Kubernetes-style) playlist API: we choose the uid, so the TV URL never changes. */
async function upsertResource(client: GrafanaClient, version: 'v1' | 'v0alpha1', namespace: string, uid: string, spec: PlaylistSpec): Promise<PlaylistResult | undefined> {
  const collection = `/apis/playlist.grafana.app/${version}/namespaces/${encodeURIComponent(namespace)}/playlists`;
  const api: PlaylistApi = `playlist.grafana.app/${version}`;
  // Listing the collection tells "this API is not served here" (404) apart from "no such playlist".
  const list = await client.call('GET', `${collection}?limit=1`);
  if (list.status === 404 || list.status === 405 || list.status === 501) return undefined;
  if (list.status !== 200) throw new GrafanaError(`Grafana answered ${list.status} to GET ${collection}: ${describeBody(list.body)}`);

  const one = await client.call('GET', `${collection}/${encodeURIComponent(uid)}`);
  const body = { apiVersion: `playlist.grafana.app/${version}`, kind: 'Playlist', metadata: { name: uid }, spec };
  if (one.status === 404) {
    await client.expect([200, 201, 202], 'POST', collection, body);
    return { api, uid, action: 'created' };
  }
  if (one.status !== 200) throw new GrafanaError(`Grafana answered ${one.status} to GET ${collection}/${uid}: ${describeBody(one.body)}`);
  const existing = parse(resource, one.body, `GET ${collection}/${uid}`);
  if (sameSpec(existing.spec, spec)) return { api, uid, action: 'unchanged' };
  // Optimistic concurrency: the PUT carries the resourceVersion we read.
  await client.expect([200, 201], 'PUT', `${collection}/${encodeURIComponent(uid)}`, {
    ...body,
    metadata: { ...existing.metadata, name: uid },
  });
  return { api, uid, action: 'updated' };
}

/** Grafana before the app platform (and servers with it switched off): the server picks the uid, we find ours by title. */
async function upsertLegacy(client: GrafanaClient, spec: PlaylistSpec): Promise<PlaylistResult> {
  const api: PlaylistApi = 'legacy /api/playlists';
  const list = await client.call('GET', `/api/playlists?query=${encodeURIComponent(spec.title)}`);
  if (list.status === 404) {
    throw new GrafanaError(`Grafana at ${client.baseUrl} serves neither /apis/playlist.grafana.app nor /api/playlists: is --url the root of a Grafana server?`);
  }
  if (list.status !== 200) throw new GrafanaError(`Grafana answered ${list.status} to GET /api/playlists: ${describeBody(list.body)}`);
  const mine = parse(legacyList, list.body ?? [], 'GET /api/playlists').filter((p) => p.name === spec.title);
  const payload = { name: spec.title, interval: spec.interval, items: spec.items };
  if (mine.length === 0) {
    const created = parse(z.object({ uid: z.string() }).passthrough(), await client.expect([200, 201], 'POST', '/api/playlists', payload), 'POST /api/playlists');
    return { api, uid: created.uid, action: 'created' };
  }
  const uid = mine[0]!.uid;
  const current = parse(legacyOne, await client.expect([200], 'GET', `/api/playlists/${encodeURIComponent(uid)}`), `GET /api/playlists/${uid}`);
  if (sameSpec(current, spec)) return { api, uid, action: 'unchanged' };
  await client.expect([200], 'PUT', `/api/playlists/${encodeURIComponent(uid)}`, payload);
  return { api, uid, action: 'updated' };
}

/**
 * Creates or updates the playlist so that running setup again changes nothing: the app-platform API
 * (v1, then v0alpha1), else the deprecated /api/playlists.
 */
export async function upsertPlaylist(client: GrafanaClient, uid: string, spec: PlaylistSpec, namespace = 'default'): Promise<PlaylistResult> {
  for (const version of ['v1', 'v0alpha1'] as const) {
    const done = await upsertResource(client, version, namespace, uid, spec);
    if (done) return done;
  }
  return upsertLegacy(client, spec);
}
