import { z } from 'zod';
import { GrafanaClient, GrafanaError, describeBody } from './client';
import { DASHBOARDS, DATASOURCES, MIN_GRAFANA_VERSION, PLUGIN_ID } from './board';

export interface Check {
  what: string;
  /** null: could not be checked with this credential. */
  ok: boolean | null;
  detail: string;
}

export interface GrafanaInfo {
  /** undefined: hidden by `[auth.anonymous] hide_version` and not named by /api/frontend/settings either. */
  version?: string;
  orgId: number;
  /** Set when the minimum-version check could not be made: a `skipped` line for the report. */
  versionCheck?: Check;
}

/** Numeric major.minor.patch of a Grafana version string ("12.4.0", "13.0.0-pre", "12.3.1+security-01"). */
export function parseVersion(v: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function versionAtLeast(v: string, min: string): boolean {
  const a = parseVersion(v);
  const b = parseVersion(min)!;
  if (!a) return false;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

// Grafana leaves version and commit out of /api/health when `[auth.anonymous] hide_version = true`
// (grafana pkg/api/health.go); `database` is always there, so one of the two marks a Grafana answer.
const health = z
  .object({ version: z.string().optional(), database: z.string().optional() })
  .passthrough()
  .refine((h) => h.version !== undefined || h.database !== undefined);
// The same setting blanks buildInfo.version in /api/frontend/settings only for callers that are not signed
// in (grafana pkg/api/frontendsettings.go: hideVersion = AnonymousHideVersion && !IsSignedIn).
const frontendSettings = z.object({ buildInfo: z.object({ version: z.string().optional() }).passthrough() }).passthrough();
const org = z.object({ id: z.number().int() }).passthrough();
const datasource = z.object({ uid: z.string(), type: z.string(), name: z.string().optional() }).passthrough();
const dashboard = z.object({ dashboard: z.object({ uid: z.string(), title: z.string().optional() }).passthrough() }).passthrough();

/**
 * Grafana is up, new enough for the plugin, and accepts the credential. /api/health needs no login,
 * so the credential is proved by /api/org, which also names the org (the playlist API's namespace).
 * When /api/health hides the version, the signed-in /api/frontend/settings names it; when neither does,
 * the minimum-version check is skipped and reported as such rather than failing the set-up.
 */
export async function probeGrafana(client: GrafanaClient): Promise<GrafanaInfo> {
  const h = await client.call('GET', '/api/health');
  const parsed = health.safeParse(h.body);
  if (h.status !== 200 || !parsed.success) {
    throw new GrafanaError(`${client.baseUrl} does not look like Grafana (GET /api/health answered ${h.status}: ${describeBody(h.body)})`);
  }
  const version = parsed.data.version || (await versionFromSettings(client));
  if (version !== undefined && !versionAtLeast(version, MIN_GRAFANA_VERSION)) {
    throw new GrafanaError(
      `Grafana ${version} at ${client.baseUrl} is too old: the ${PLUGIN_ID} plugin needs Grafana ${MIN_GRAFANA_VERSION} or newer (docker-compose.yml pins a suitable image)`,
    );
  }
  const o = org.safeParse(await client.expect([200], 'GET', '/api/org'));
  const info: GrafanaInfo = { version, orgId: o.success ? o.data.id : 1 };
  if (version === undefined) {
    info.versionCheck = {
      what: 'Grafana version',
      ok: null,
      detail:
        'not checked: /api/health hides it ([auth.anonymous] hide_version = true) and /api/frontend/settings did not name it; ' +
        `the ${PLUGIN_ID} plugin needs Grafana ${MIN_GRAFANA_VERSION} or newer`,
    };
  }
  return info;
}

/** buildInfo.version of /api/frontend/settings (needs the credential); undefined if it is not there. */
async function versionFromSettings(client: GrafanaClient): Promise<string | undefined> {
  const r = await client.call('GET', '/api/frontend/settings', undefined, { forbiddenIsAnswer: true });
  const s = r.status === 200 ? frontendSettings.safeParse(r.body) : undefined;
  return s?.success && s.data.buildInfo.version ? s.data.buildInfo.version : undefined;
}

/** Are the provisioned data sources, the plugin, the dashboards and the alert rules all there? */
export async function checkProvisioned(client: GrafanaClient, alertRuleUids: readonly string[]): Promise<Check[]> {
  const checks: Check[] = [];

  const plugin = await client.call('GET', `/api/plugins/${PLUGIN_ID}/settings`, undefined, { forbiddenIsAnswer: true });
  checks.push(
    plugin.status === 200
      ? { what: `plugin ${PLUGIN_ID}`, ok: true, detail: 'loaded' }
      : plugin.status === 403
        ? { what: `plugin ${PLUGIN_ID}`, ok: null, detail: 'not checked (403)' }
        : {
            what: `plugin ${PLUGIN_ID}`,
            ok: false,
            detail: `not loaded (${plugin.status}): mount plugin/dist into the plugins folder and allow it unsigned (GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=${PLUGIN_ID})`,
          },
  );

  for (const ds of DATASOURCES) {
    const what = `data source ${ds.uid}`;
    const r = await client.call('GET', `/api/datasources/uid/${encodeURIComponent(ds.uid)}`, undefined, { forbiddenIsAnswer: true });
    if (r.status === 403) checks.push({ what, ok: null, detail: 'not checked: reading data sources needs the Admin role' });
    else if (r.status === 404) checks.push({ what, ok: false, detail: 'missing: is provisioning/datasources mounted into /etc/grafana/provisioning?' });
    else if (r.status !== 200) checks.push({ what, ok: false, detail: `GET answered ${r.status}: ${describeBody(r.body)}` });
    else {
      const d = datasource.safeParse(r.body);
      const type = d.success ? d.data.type : '?';
      // The built-in Postgres plugin still answers to its pre-10.2.3 alias.
      const okType = type === ds.type || (ds.type === 'grafana-postgresql-datasource' && type === 'postgres');
      checks.push({ what, ok: okType, detail: okType ? type : `has type ${type}, expected ${ds.type}` });
    }
  }

  for (const db of DASHBOARDS) {
    const what = `dashboard ${db.uid}`;
    const r = await client.call('GET', `/api/dashboards/uid/${encodeURIComponent(db.uid)}`, undefined, { forbiddenIsAnswer: true });
    if (r.status === 200) {
      const d = dashboard.safeParse(r.body);
      checks.push({ what, ok: true, detail: d.success ? (d.data.dashboard.title ?? '') : '' });
    } else if (r.status === 403) checks.push({ what, ok: null, detail: 'not checked (403)' });
    else checks.push({ what, ok: false, detail: r.status === 404 ? 'missing: is dashboards/ mounted where provisioning/dashboards points?' : `GET answered ${r.status}` });
  }

  for (const uid of alertRuleUids) {
    const what = `alert rule ${uid}`;
    const r = await client.call('GET', `/api/v1/provisioning/alert-rules/${encodeURIComponent(uid)}`, undefined, { forbiddenIsAnswer: true });
    if (r.status === 200) checks.push({ what, ok: true, detail: 'provisioned' });
    else if (r.status === 403) checks.push({ what, ok: null, detail: 'not checked: reading alert provisioning needs the Admin role' });
    else checks.push({ what, ok: false, detail: r.status === 404 ? 'missing: is provisioning/alerting mounted?' : `GET answered ${r.status}` });
  }
  return checks;
}
