import net from 'node:net';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { grafanaSetup } from '../../src/grafana/setup';
import { GrafanaError } from '../../src/grafana/client';
import { PLAYLIST_UID, tvPlaylist } from '../../src/grafana/board';
import { versionAtLeast } from '../../src/grafana/checks';
import { startFakeGrafana, type FakeGrafana } from './fakeGrafana';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../bin/amokpi.js');
const TOKEN = 'glsa_test_token_123456';

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('amokpi grafana setup against a stand-in Grafana', () => {
  let g: FakeGrafana | undefined;
  afterEach(async () => {
    if (g) expect(g.violations).toEqual([]);
    await g?.close();
    g = undefined;
  });

  it('creates the playlist through playlist.grafana.app/v1 with our uid, then leaves it alone, then repairs an edited one', async () => {
    g = await startFakeGrafana();
    const first = await grafanaSetup({ url: g.url, auth: { token: TOKEN }, publicUrl: 'http://tv.local:3000/' });
    expect(first.playlist).toEqual({ api: 'playlist.grafana.app/v1', uid: PLAYLIST_UID, action: 'created' });
    expect(first.version).toBe('12.4.0');
    expect(first.missing).toEqual([]);
    expect(first.checks.every((c) => c.ok === true)).toBe(true);
    expect(first.kioskUrl).toBe(
      'http://tv.local:3000/playlists/play/amokpi-tv?kiosk&autofitpanels&_dash.hideTimePicker=true&_dash.hideVariables=true&_dash.hideLinks=true',
    );
    const stored = g.playlists.get(PLAYLIST_UID)!;
    expect(stored.via).toBe('apis/v1');
    expect(stored.items).toEqual([
      { type: 'dashboard_by_uid', value: 'amokpi-today' },
      { type: 'dashboard_by_uid', value: 'amokpi-department' },
    ]);

    const second = await grafanaSetup({ url: g.url, auth: { token: TOKEN } });
    expect(second.playlist.action).toBe('unchanged');
    expect(g.requests.filter((r) => r.method !== 'GET')).toHaveLength(1);

    // Someone changed the interval in the UI: setup puts it back, sending the resourceVersion it read.
    g.playlists.set(PLAYLIST_UID, { ...stored, interval: '5m', resourceVersion: 7 });
    const third = await grafanaSetup({ url: g.url, auth: { token: TOKEN } });
    expect(third.playlist.action).toBe('updated');
    expect(g.playlists.get(PLAYLIST_UID)).toMatchObject({ interval: '1m', resourceVersion: 8 });
    expect(g.playlists.size).toBe(1);
  });

  it('falls back to v0alpha1 when v1 is not served', async () => {
    g = await startFakeGrafana({ apis: ['v0alpha1'] });
    const r = await grafanaSetup({ url: g.url, auth: { token: TOKEN } });
    expect(r.playlist).toEqual({ api: 'playlist.grafana.app/v0alpha1', uid: PLAYLIST_UID, action: 'created' });
  });

  it('falls back to the legacy /api/playlists and stays idempotent there (found by title, one playlist)', async () => {
    g = await startFakeGrafana({ apis: [] });
    const first = await grafanaSetup({ url: g.url, auth: { token: TOKEN }, interval: '2m' });
    expect(first.playlist.api).toBe('legacy /api/playlists');
    expect(first.playlist.action).toBe('created');
    expect(first.kioskUrl).toContain(`/playlists/play/${first.playlist.uid}?kiosk&autofitpanels`);
    const post = g.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/api/playlists');
    expect(post.body).toEqual({ name: tvPlaylist().title, interval: '2m', items: tvPlaylist().items });

    const again = await grafanaSetup({ url: g.url, auth: { token: TOKEN }, interval: '2m' });
    expect(again.playlist).toEqual({ ...first.playlist, action: 'unchanged' });
    const changed = await grafanaSetup({ url: g.url, auth: { token: TOKEN }, interval: '3m' });
    expect(changed.playlist).toEqual({ ...first.playlist, action: 'updated' });
    expect(g.playlists.size).toBe(1);
    expect([...g.playlists.values()][0]!.interval).toBe('3m');
  });

  it('uses the org-<id> namespace for another org', async () => {
    g = await startFakeGrafana({ orgId: 3 });
    const r = await grafanaSetup({ url: g.url, auth: { token: TOKEN } });
    expect(r.playlist.action).toBe('created');
    expect(g.requests.some((q) => q.path.startsWith('/apis/playlist.grafana.app/v1/namespaces/org-3/playlists'))).toBe(true);
  });

  it('reports missing provisioned pieces with what to do', async () => {
    g = await startFakeGrafana({ dashboards: ['amokpi-today'], pluginLoaded: false, datasources: [{ uid: 'amokpi-postgres', type: 'postgres' }] });
    const r = await grafanaSetup({ url: g.url, auth: { token: TOKEN } });
    expect(r.missing.map((c) => c.what).sort()).toEqual(
      ['dashboard amokpi-department', 'dashboard amokpi-etl', 'dashboard amokpi-history', 'data source amokpi', 'plugin amokpi-sales-datasource'].sort(),
    );
    expect(r.missing.find((c) => c.what.startsWith('plugin'))!.detail).toMatch(/GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=amokpi-sales-datasource/);
    // The legacy "postgres" alias of the built-in plugin is accepted.
    expect(r.checks.find((c) => c.what === 'data source amokpi-postgres')!.ok).toBe(true);
  });

  it('a wrong token is a clear 401 error that does not echo the token, and nothing is written', async () => {
    g = await startFakeGrafana();
    const err = await grafanaSetup({ url: g.url, auth: { token: 'glsa_wrong_token_999' } }).catch((e) => e);
    expect(err).toBeInstanceOf(GrafanaError);
    expect(err.message).toMatch(/rejected the credentials \(401 Unauthorized/);
    expect(err.message).not.toContain('glsa_wrong_token_999');
    expect(g.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('Grafana down is "not reachable (connection refused)"', async () => {
    const port = await closedPort();
    const err = await grafanaSetup({ url: `http://127.0.0.1:${port}`, auth: { token: TOKEN } }).catch((e) => e);
    expect(err).toBeInstanceOf(GrafanaError);
    expect(err.message).toBe(`Grafana at http://127.0.0.1:${port} is not reachable (connection refused): is it running, and is --url (or GRAFANA_URL) right?`);
  });

  it('an old Grafana is refused before anything is written', async () => {
    g = await startFakeGrafana({ version: '11.6.3' });
    const err = await grafanaSetup({ url: g.url, auth: { token: TOKEN } }).catch((e) => e);
    expect(err.message).toMatch(/Grafana 11\.6\.3 .* is too old: the amokpi-sales-datasource plugin needs Grafana 12\.3\.0 or newer/);
    expect(g.requests.map((r) => r.path)).toEqual(['/api/health']);
  });

  describe('[auth.anonymous] hide_version = true (no version in /api/health)', () => {
    it('reads the version from the authenticated /api/frontend/settings and goes on', async () => {
      g = await startFakeGrafana({ hideVersion: true, version: '12.4.1' });
      const r = await grafanaSetup({ url: g.url, auth: { token: TOKEN } });
      expect(r.version).toBe('12.4.1');
      expect(r.missing).toEqual([]);
      expect(r.checks.every((c) => c.ok === true)).toBe(true);
      expect(r.playlist.action).toBe('created');
      expect(g.requests.map((q) => q.path).slice(0, 2)).toEqual(['/api/health', '/api/frontend/settings']);
    });

    it('still refuses an old Grafana found that way, before anything is written', async () => {
      g = await startFakeGrafana({ hideVersion: true, version: '11.6.3' });
      const err = await grafanaSetup({ url: g.url, auth: { token: TOKEN } }).catch((e) => e);
      expect(err).toBeInstanceOf(GrafanaError);
      expect(err.message).toMatch(/Grafana 11\.6\.3 .* is too old/);
      expect(g.requests.filter((q) => q.method !== 'GET')).toEqual([]);
    });

    it('when no endpoint names the version: goes on, reporting the minimum-version check as skipped', async () => {
      g = await startFakeGrafana({ hideVersion: true, settingsVersion: '' });
      const r = await grafanaSetup({ url: g.url, auth: { token: TOKEN } });
      expect(r.version).toBe('(version hidden)');
      expect(r.missing).toEqual([]);
      expect(r.playlist.action).toBe('created');
      const check = r.checks.find((c) => c.what === 'Grafana version')!;
      expect(check.ok).toBeNull();
      expect(check.detail).toMatch(/not checked: .*hide_version.*needs Grafana 12\.3\.0 or newer/);
    });
  });

  it('something that is not Grafana is named as such', async () => {
    g = await startFakeGrafana();
    const err = await grafanaSetup({ url: `${g.url}/nothing-here`, auth: { token: TOKEN } }).catch((e) => e);
    expect(err.message).toMatch(/does not look like Grafana \(GET \/api\/health answered 404/);
  });

  it('compares Grafana versions numerically', () => {
    expect(versionAtLeast('12.3.0', '12.3.0')).toBe(true);
    expect(versionAtLeast('12.10.1', '12.3.0')).toBe(true);
    expect(versionAtLeast('13.0.0-pre', '12.3.0')).toBe(true);
    expect(versionAtLeast('12.2.9', '12.3.0')).toBe(false);
    expect(versionAtLeast('9.5.0', '12.3.0')).toBe(false);
    expect(versionAtLeast('garbage', '12.3.0')).toBe(false);
  });

  describe('the CLI', () => {
    const env = (extra: Record<string, string>) => {
      const e: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
      for (const k of ['GRAFANA_TOKEN', 'GRAFANA_URL', 'GRAFANA_USER', 'AMOKPI_GRAFANA_DB_PASSWORD']) delete e[k];
      return { ...e, ...extra };
    };

    it('prints the checks, the playlist and the kiosk URL; exit 0', async () => {
      g = await startFakeGrafana();
      const { stdout } = await run(process.execPath, [cli, 'grafana', 'setup', '--url', g.url, '--public-url', 'http://tv:3000'], {
        env: env({ GRAFANA_TOKEN: TOKEN }),
      });
      expect(stdout).toMatch(/^Grafana 12\.4\.0 at http:\/\/127\.0\.0\.1:\d+$/m);
      expect(stdout).toMatch(/^ok +data source amokpi: amokpi-sales-datasource$/m);
      expect(stdout).toMatch(/^playlist amokpi-tv: created \(playlist\.grafana\.app\/v1\)$/m);
      expect(stdout).toContain('http://tv:3000/playlists/play/amokpi-tv?kiosk&autofitpanels&_dash.hideTimePicker=true');
      expect(stdout).toContain("chromium --kiosk --noerrdialogs --disable-infobars --force-device-scale-factor=1.5 'http://tv:3000/playlists/play/amokpi-tv?kiosk&autofitpanels");
    });

    it('with the version hidden everywhere: a "skipped  Grafana version" line, exit 0', async () => {
      g = await startFakeGrafana({ hideVersion: true, settingsVersion: '' });
      const { stdout } = await run(process.execPath, [cli, 'grafana', 'setup', '--url', g.url], { env: env({ GRAFANA_TOKEN: TOKEN }) });
      expect(stdout).toMatch(/^Grafana \(version hidden\) at http:\/\/127\.0\.0\.1:\d+$/m);
      expect(stdout).toMatch(/^skipped +Grafana version: not checked: /m);
      expect(stdout).toMatch(/^playlist amokpi-tv: created/m);
    });

    it('a wrong token: exit 1, one line on stderr naming the problem, the token masked', async () => {
      g = await startFakeGrafana();
      const err = await run(process.execPath, [cli, 'grafana', 'setup', '--url', g.url, '--token', 'glsa_bad_secret_token'], { env: env({}) }).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stderr.trim().split('\n')).toHaveLength(1);
      expect(err.stderr).toMatch(/^amokpi: Grafana at .* rejected the credentials \(401/);
      expect(err.stderr + err.stdout).not.toContain('glsa_bad_secret_token');
    });

    it('without --url: Grafana\'s own default address, http://localhost:3000', async () => {
      const help = await run(process.execPath, [cli, 'grafana', 'setup', '--help'], { env: env({}) });
      expect(help.stdout).toMatch(/--url <url> +Grafana base URL \(default: "http:\/\/localhost:3000",\s+env: GRAFANA_URL\)/);
      const err = await run(process.execPath, [cli, 'grafana', 'setup', '--token', 'glsa_some_token'], { env: env({}) }).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stderr).toContain('Grafana at http://localhost:3000');
    });

    it('without a credential: exit 2 naming --token', async () => {
      const err = await run(process.execPath, [cli, 'grafana', 'setup', '--url', 'http://127.0.0.1:9'], { env: env({}) }).catch((e) => e);
      expect(err.code).toBe(2);
      expect(err.stderr).toMatch(/^amokpi: --token: required/);
    });

    it('missing pieces: exit 1 after creating the playlist', async () => {
      g = await startFakeGrafana({ dashboards: [] });
      const err = await run(process.execPath, [cli, 'grafana', 'setup', '--url', g.url], { env: env({ GRAFANA_TOKEN: TOKEN }) }).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stdout).toMatch(/^MISSING +dashboard amokpi-today: missing/m);
      expect(err.stderr).toMatch(/4 provisioned piece\(s\) missing/);
      expect(g.playlists.size).toBe(1);
    });
  });
});
