import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

const cli = path.resolve(__dirname, '../../bin/amokpi.js');

/** Collects a child's stdout and resolves once a line matches. */
function waitForOutput(child: ChildProcess, re: RegExp, timeoutMs: number, out: { text: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output so far:\n${out.text}`)), timeoutMs);
    const check = () => {
      if (re.test(out.text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', (d) => {
      out.text += String(d);
      check();
    });
    child.once('exit', (code) => reject(new Error(`demo exited early with ${code}:\n${out.text}`)));
  });
}

async function getJson(url: string, token: string): Promise<any> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.json();
}

describe('npm run demo (embedded Postgres + live simulator + ETL + API)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-demo-'));
  let child: ChildProcess;
  const out = { text: '' };
  let stderr = '';

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, prints URLs and tokens, serves fresh non-empty KPIs and stops cleanly on Ctrl-C', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AMOKPI_DATA_DIR: dataDir, AMOKPI_PORT: '0', LOG_LEVEL: 'warn', AMOKPI_SYNC_CRON: '*/2 * * * *' };
    delete env.DATABASE_URL;
    delete env.AMOKPI_API_TOKEN;
    delete env.AMOKPI_ADMIN_TOKEN;
    const started = Date.now();
    child = spawn(process.execPath, [cli, 'demo', '--leads', '400', '--months', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d) => (stderr += String(d)));
    await waitForOutput(child, /Ctrl-C stops the demo/, 90_000, out);
    const startupMs = Date.now() - started;

    const url = /KPI API:\s+(http:\/\/\S+?)\/api\/v1\/kpi\/managers/.exec(out.text)?.[1];
    const apiToken = /^AMOKPI_API_TOKEN=(\S+)$/m.exec(out.text)?.[1];
    const adminToken = /^AMOKPI_ADMIN_TOKEN=(\S+)$/m.exec(out.text)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(apiToken).toBeTruthy();
    expect(adminToken).toBeTruthy();
    expect(apiToken).not.toBe(adminToken);
    // The tokens are printed once for the user, never into the logs.
    expect(stderr).not.toContain(apiToken!);
    // The banner tells the schedule the worker really has (a .env may set its own).
    expect(out.text).toContain('the worker syncs on the schedule AMOKPI_SYNC_CRON="*/2 * * * *".');

    // A second demo on the same data dir would start fresh by deleting the database under this one: refused.
    const second = spawn(process.execPath, [cli, 'demo', '--leads', '400', '--months', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let secondErr = '';
    second.stderr!.on('data', (d) => (secondErr += String(d)));
    const secondCode = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    expect(secondCode).toBe(2);
    expect(secondErr.trim()).toMatch(/^amokpi: \S+demo: another amokpi \(pid \d+\) is using this demo database; stop it first, or give this demo its own AMOKPI_DATA_DIR$/);

    const status = await getJson(`${url}/api/v1/status`, apiToken!);
    expect(status.dataLagSeconds).toBeLessThan(120);
    expect(status.streams.filter((s: { error: string | null }) => !s.error).length).toBeGreaterThanOrEqual(9);

    const managers = await getJson(`${url}/api/v1/kpi/managers`, apiToken!);
    expect(managers.rows.length).toBeGreaterThan(0);
    const withPlan = managers.rows.filter((r: { planAmount: number | null }) => r.planAmount != null);
    expect(withPlan.length).toBeGreaterThan(0);
    expect(new Set(withPlan.map((r: { band: string }) => r.band)).size).toBeGreaterThan(1);
    expect(managers.rows.some((r: { wonAmount: number }) => r.wonAmount > 0)).toBe(true);

    const dept = await getJson(`${url}/api/v1/kpi/department`, apiToken!);
    expect(dept.current.wonCount + dept.current.inProgressCount).toBeGreaterThan(0);
    expect(dept.previous.date).toBeTruthy();

    const activity = await getJson(`${url}/api/v1/kpi/activity`, apiToken!);
    expect(activity.rows.some((r: { activityMinutes: number }) => r.activityMinutes > 0)).toBe(true);

    const stale = await getJson(`${url}/api/v1/kpi/stale-deals?minDays=0`, apiToken!);
    expect(stale.rows.length).toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const code = await exited;
    // On a failure, say why: the demo's stderr holds the error line.
    if (code !== 0) throw new Error(`demo exited with ${code} after Ctrl-C; stderr:\n${stderr}\nstdout tail:\n${out.text.slice(-2000)}`);
    expect(out.text).toMatch(/stopping/);
    // The embedded server it started is gone: its pid file was removed by a clean shutdown.
    expect(fs.existsSync(path.join(dataDir, 'demo', 'pg', 'postmaster.pid'))).toBe(false);
    process.stdout.write(`demo start-up: ${(startupMs / 1000).toFixed(1)} s\n`);
  }, 150_000);
});

describe('npm run demo on a taken port', () => {
  it('fails at once in one line naming AMOKPI_PORT, before the first sync', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as import('node:net').AddressInfo).port;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-demo-port-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, AMOKPI_DATA_DIR: dataDir, AMOKPI_PORT: String(port), LOG_LEVEL: 'warn' };
      delete env.DATABASE_URL;
      const child = spawn(process.execPath, [cli, 'demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += String(d)));
      child.stderr!.on('data', (d) => (stderr += String(d)));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(2);
      expect(stderr.trim()).toBe(`amokpi: AMOKPI_PORT: 127.0.0.1:${port} is already in use; set AMOKPI_PORT to a free port`);
      expect(stdout).not.toContain('first full sync');
    } finally {
      blocker.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
