import { GrafanaClient, type GrafanaAuth } from './client';
import { ALERT_RULE_UIDS, PLAYLIST_UID, kioskUrl, tvPlaylist } from './board';
import { checkProvisioned, probeGrafana, type Check } from './checks';
import { upsertPlaylist, type PlaylistResult } from './playlist';

export interface SetupOptions {
  url: string;
  auth: GrafanaAuth;
  /** Where the TV reaches Grafana, when that differs from --url (e.g. inside docker-compose). */
  publicUrl?: string;
  interval?: string;
  timeoutMs?: number;
}

export interface SetupReport {
  /** "(version hidden)" when Grafana does not tell it (then a `Grafana version` check says it was skipped). */
  version: string;
  playlist: PlaylistResult;
  checks: Check[];
  kioskUrl: string;
  /** Checks that failed (not those that could not be run). */
  missing: Check[];
}

/** Creates or updates the TV playlist and checks the provisioned pieces; safe to run any number of times. */
export async function grafanaSetup(opts: SetupOptions): Promise<SetupReport> {
  const client = new GrafanaClient(opts.url, opts.auth, { timeoutMs: opts.timeoutMs });
  try {
    const info = await probeGrafana(client);
    // Org 1 is the app platform's "default" namespace; other orgs are "org-<id>".
    const namespace = info.orgId === 1 ? 'default' : `org-${info.orgId}`;
    const checks = [...(info.versionCheck ? [info.versionCheck] : []), ...(await checkProvisioned(client, ALERT_RULE_UIDS))];
    const playlist = await upsertPlaylist(client, PLAYLIST_UID, tvPlaylist(opts.interval), namespace);
    return {
      version: info.version ?? '(version hidden)',
      playlist,
      checks,
      kioskUrl: kioskUrl(opts.publicUrl ?? opts.url, playlist.uid),
      missing: checks.filter((c) => c.ok === false),
    };
  } finally {
    await client.close();
  }
}
