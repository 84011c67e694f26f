import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { MIN_GRAFANA_VERSION, PLUGIN_ID } from '../../src/grafana/board';
import { versionAtLeast } from '../../src/grafana/checks';
import { REPO, readJson } from './files';

const run = promisify(execFile);

/** Debian's docker-compose (1.29, installed by .ci/run) validates the file without a Docker daemon. */
async function composeConfig(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  return run('docker-compose', ['-f', path.join(REPO, 'docker-compose.yml'), ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  }).catch((err) => {
    if (err.code === 'ENOENT') throw new Error('docker-compose is not installed: apt-get install -y --no-install-recommends docker-compose (.ci/run does)');
    throw err;
  });
}

describe('docker-compose.yml', () => {
  it('passes `docker-compose config -q`, with and without the demo profile', async () => {
    await expect(composeConfig(['config', '-q'])).resolves.toMatchObject({ stderr: '' });
    await expect(composeConfig(['--profile', 'demo', 'config', '-q'])).resolves.toMatchObject({ stderr: '' });
    // (compose 1.29 lists profiled services in `config --services` either way; the profile itself is checked below.)
    const services = (await composeConfig(['config', '--services'])).stdout.trim().split('\n').sort();
    expect(services).toEqual(['etl', 'grafana', 'grafana-setup', 'postgres', 'simulator']);
  });

  it('README\'s path: `cp .env.example .env` then `--profile demo` syncs the simulator, not an example account', async () => {
    const cfg = parse((await composeConfig(['--env-file', path.join(REPO, '.env.example'), '--profile', 'demo', 'config'])).stdout);
    const etl = cfg.services.etl.environment;
    expect(etl.AMOCRM_BASE_URL).toBe('http://simulator:8090');
    const command: string[] = cfg.services.simulator.command;
    expect(command[command.indexOf('--token') + 1]).toBe(etl.AMOCRM_ACCESS_TOKEN);
  });

  it('the resolved file: pinned Grafana satisfying the plugin, plugin and provisioning mounted, anonymous viewer, setup one-shot, demo simulator', async () => {
    const cfg = parse((await composeConfig(['--profile', 'demo', 'config'], { AMOKPI_API_TOKEN: 'from-env-token-1' })).stdout);
    const s = cfg.services;

    const [image, tag] = s.grafana.image.split(':');
    expect(image).toBe('grafana/grafana');
    expect(tag).toMatch(/^\d+\.\d+\.\d+$/); // pinned, not "latest"
    expect(versionAtLeast(tag, MIN_GRAFANA_VERSION)).toBe(true);
    const plugin = readJson('plugin/src/plugin.json');
    expect(plugin.dependencies.grafanaDependency).toBe(`>=${MIN_GRAFANA_VERSION}`);

    const mounts = s.grafana.volumes.map((v: any) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    const mounted = (target: string) => mounts.find((m: string) => m.split(':')[1] === target);
    expect(mounted(`/var/lib/grafana/plugins/${PLUGIN_ID}`)).toMatch(/plugin\/dist:/);
    for (const sub of ['datasources', 'dashboards', 'alerting']) {
      expect(mounted(`/etc/grafana/provisioning/${sub}`)).toMatch(new RegExp(`provisioning/${sub}:`));
      expect(fs.existsSync(path.join(REPO, 'provisioning', sub))).toBe(true);
    }

    const env = s.grafana.environment;
    expect(env.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).toBe(PLUGIN_ID);
    expect(env).toMatchObject({ GF_AUTH_ANONYMOUS_ENABLED: 'true', GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer' });
    expect(env.AMOKPI_API_URL).toBe('http://etl:8080');
    expect(env.AMOKPI_API_TOKEN).toBe('from-env-token-1');
    expect(s.etl.environment.AMOKPI_API_TOKEN).toBe('from-env-token-1');
    expect(env.AMOKPI_GRAFANA_DB_PASSWORD).toBe(s.etl.environment.AMOKPI_GRAFANA_DB_PASSWORD);

    expect(s.etl.build.dockerfile).toBe('etl/Dockerfile');
    expect(s.etl.command).toEqual(['run']);
    expect(s.etl.depends_on.postgres.condition).toBe('service_healthy');
    expect(s.etl.environment.AMOKPI_HOST).toBe('0.0.0.0');

    const setup = s['grafana-setup'];
    expect(setup.command.slice(0, 4)).toEqual(['grafana', 'setup', '--url', 'http://grafana:3000']);
    expect(setup.restart).toBe('no');
    expect(setup.depends_on).toMatchObject({ grafana: { condition: 'service_healthy' }, etl: { condition: 'service_healthy' } });
    expect(setup.environment.GRAFANA_PASSWORD).toBe(env.GF_SECURITY_ADMIN_PASSWORD);

    expect(s.simulator.profiles).toEqual(['demo']);
    expect(s.simulator.command).toEqual(expect.arrayContaining(['simulator', '--live', '--host', '0.0.0.0']));
    const port = s.simulator.command[s.simulator.command.indexOf('--port') + 1];
    expect(s.etl.environment.AMOCRM_BASE_URL).toBe(`http://simulator:${port}`);
    const token = s.simulator.command[s.simulator.command.indexOf('--token') + 1];
    expect(s.etl.environment.AMOCRM_ACCESS_TOKEN).toBe(token);
  });

  it('etl/Dockerfile runs the CLI and the build context keeps node_modules out', () => {
    const dockerfile = fs.readFileSync(path.join(REPO, 'etl/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20[.\d]*-bookworm-slim$/m);
    expect(dockerfile).toMatch(/npm ci --workspace etl --omit=dev/);
    // Executed through its shebang, so the image runs with the CLI's node flags (heap ceiling).
    expect(dockerfile).toContain('ENTRYPOINT ["/app/etl/bin/amokpi.js"]');
    expect(fs.statSync(path.join(REPO, 'etl/bin/amokpi.js')).mode & 0o111).toBe(0o111);
    for (const copied of [...dockerfile.matchAll(/^COPY (?!--)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '))) {
      expect(fs.existsSync(path.join(REPO, copied))).toBe(true);
    }
    const ignore = fs.readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '.git', '.env']));
  });
});
