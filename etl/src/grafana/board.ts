/**
 * What amokpi provisions into Grafana, by the identifiers the files in provisioning/ and dashboards/ use.
 * The tests check these against the files, so a renamed uid fails there rather than on the office TV.
 */
import path from 'node:path';

/** The repository's dashboards/ folder (what provisioning/dashboards/amokpi.yaml serves). */
export const DASHBOARDS_DIR = path.resolve(__dirname, '../../../dashboards');

export const PLUGIN_ID = 'amokpi-sales-datasource';
export const MIN_GRAFANA_VERSION = '12.3.0';

export const DATASOURCES = [
  { uid: 'amokpi', type: PLUGIN_ID },
  { uid: 'amokpi-postgres', type: 'grafana-postgresql-datasource' },
] as const;

export interface BoardDashboard {
  uid: string;
  file: string;
  /** Shown in rotation on the TV playlist. */
  tv: boolean;
}

export const DASHBOARDS: readonly BoardDashboard[] = [
  { uid: 'amokpi-today', file: 'sales-today.json', tv: true },
  { uid: 'amokpi-department', file: 'department.json', tv: true },
  { uid: 'amokpi-history', file: 'history.json', tv: false },
  { uid: 'amokpi-etl', file: 'etl-health.json', tv: false },
];

/** The alert rules' thresholds (provisioning/alerting/rules.yaml); dashboards colour the same bounds. */
export const ALERT_THRESHOLDS = { overdueTasks: 5, leadsWithoutTasks: 10, staleMinutes: 30 } as const;

/** provisioning/alerting/rules.yaml */
export const ALERT_RULE_UIDS = ['amokpi-overdue-tasks', 'amokpi-leads-without-tasks', 'amokpi-stale-data'] as const;

export interface PlaylistSpec {
  title: string;
  interval: string;
  items: { type: 'dashboard_by_uid'; value: string }[];
}

export const PLAYLIST_UID = 'amokpi-tv';

export function tvPlaylist(interval = '1m'): PlaylistSpec {
  return {
    title: 'amokpi — ТВ отдела продаж',
    interval,
    items: DASHBOARDS.filter((d) => d.tv).map((d) => ({ type: 'dashboard_by_uid' as const, value: d.uid })),
  };
}

/**
 * The URL to open on the TV: kiosk mode hides Grafana's chrome, autofitpanels fits the board to the
 * screen, and the `_dash.*` options hide what kiosk mode leaves on Scenes dashboards (time picker,
 * variable bar, dashboard links).
 */
export function kioskUrl(publicUrl: string, playlistUid: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  return `${base}/playlists/play/${encodeURIComponent(playlistUid)}?kiosk&autofitpanels&_dash.hideTimePicker=true&_dash.hideVariables=true&_dash.hideLinks=true`;
}

/**
 * The TV's browser: kiosk without error bars, and a 1.5 device scale so a 1920×1080 screen lays the
 * board out at 1280×720 — table text and stat numbers read from 3 m.
 */
export function tvBrowserCommand(url: string): string {
  return `chromium --kiosk --noerrdialogs --disable-infobars --force-device-scale-factor=1.5 '${url}'`;
}
