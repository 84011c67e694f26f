import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { startSimulator, type Simulator } from '../../src/simulator';
import { createAmoClient } from '../../src/amocrm/client';
import { oauthAuth } from '../../src/amocrm/auth';
import { createTestDatabase, type TestDatabase } from '../support/db';

const OAUTH = { clientId: 'c0ffee00-0000-4000-8000-000000000002', clientSecret: 'race-client-secret-abc', redirectUri: 'https://example.com/amokpi' };
const LAUNCHER = path.join(__dirname, 'support/run-ts.js');
const CHILD = path.join(__dirname, 'support/oauth-child.ts');

interface Child {
  proc: ChildProcess;
  ready: Promise<void>;
  /** The child's JSON line (or null when it died without one) and how it exited. */
  done: Promise<{ out: { ok: boolean; id?: number; name?: string; message?: string } | null; code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [LAUNCHER, CHILD], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  proc.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('ready\n')) markReady();
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Awaited<Child['done']>>((resolve) =>
    proc.on('exit', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      resolve({ out: line ? JSON.parse(line) : null, code, signal, stderr });
    }),
  );
  return { proc, ready, done };
}

/** Starts the children, waits until all are ready (tsx loaded, pool open), then releases them together. */
async function race(children: Child[]) {
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.proc.stdin!.write('go\n');
  return Promise.all(children.map((c) => c.done));
}

describe('two real processes sharing one Postgres and one amoCRM integration', () => {
  let sim: Simulator;
  let tdb: TestDatabase;
  let env: Record<string, string>;
  const tokenCalls = () => sim.stats().byPath['/oauth2/access_token'] ?? 0;
  const row = () => tdb.db.one<{ access_token: string; refresh_token: string }>('SELECT access_token, refresh_token FROM app.oauth_tokens');

  beforeAll(async () => {
    // Latency widens the window between reading the refresh token and committing the new pair.
    sim = await startSimulator({ seed: 5, token: [], oauth: OAUTH, size: { managers: 2, pipelines: 1, months: 1, leads: 10 }, faults: { latencyMs: 300 } });
    tdb = await createTestDatabase();
    env = { DATABASE_URL: tdb.url, SIM_URL: sim.url, CLIENT_ID: OAUTH.clientId, CLIENT_SECRET: OAUTH.clientSecret, REDIRECT_URI: OAUTH.redirectUri };
    const c = createAmoClient({ baseUrl: sim.url, auth: oauthAuth({ db: tdb.db, baseUrl: sim.url, ...OAUTH, authCode: sim.issueAuthCode() }) });
    await c.get('/api/v4/account');
    await c.close();
  });
  afterAll(async () => {
    await tdb.drop();
    await sim.close();
  });

  it.each([
    ['both see the stored token near expiry', "now() + interval '1 minute'"],
    ['both get a 401 for an access token amoCRM expired early', "now() + interval '1 day'"],
  ])('concurrent refresh (%s): exactly one refresh is spent, both processes authenticate', async (_label, expiresAt) => {
    for (let round = 0; round < 2; round++) {
      sim.expireAccessTokens();
      await tdb.db.none(`UPDATE app.oauth_tokens SET expires_at = ${expiresAt}`);
      const before = await row();
      sim.resetStats();
      const results = await race([startChild(env), startChild(env)]);
      for (const r of results) expect(r.out).toEqual({ ok: true, id: expect.any(Number) });
      // One refresh request in total: the second process waited on the row lock and used the stored pair.
      expect(tokenCalls()).toBe(1);
      expect(sim.stats().status['401'] ?? 0).toBe(expiresAt.includes('1 day') ? 2 : 0);
      expect((await row()).refresh_token).not.toBe(before.refresh_token);
    }
  });

  it('kill -9 between receiving a new pair and committing it: the next start says to re-authorize, a new code recovers', async () => {
    sim.expireAccessTokens();
    await tdb.db.none("UPDATE app.oauth_tokens SET expires_at = now() - interval '1 minute'");
    const before = await row();
    sim.resetStats();

    const [crashed] = await race([startChild({ ...env, CRASH_AFTER_TOKEN: '1' })]);
    expect(crashed!.signal).toBe('SIGKILL');
    expect(crashed!.out).toBeNull();
    expect(tokenCalls()).toBe(1); // amoCRM issued a new pair (and revoked the old refresh token)...
    expect(await row()).toEqual(before); // ...which was never committed.

    // amoCRM's rules make recovery impossible: the stored refresh token is already spent upstream.
    const [next] = await race([startChild(env)]);
    expect(next!.out!.ok).toBe(false);
    expect(next!.out!.name).toBe('AmoAuthError');
    expect(next!.out!.message).toMatch(
      /^amoCRM refused the stored refresh token \(.*Token has been revoked\)\. It is single-use and lives 3 months: it was already spent \(another tool using the same integration, or a process killed between receiving a new pair and saving it\) or expired\. Possible cause too: AMOCRM_REDIRECT_URI differs from the integration's redirect URI \(amoCRM answers that the same way\)\. Re-authorize: .*set AMOCRM_AUTH_CODE to it and run amokpi again$/,
    );
    expect(next!.out!.message).not.toContain(before.refresh_token);

    const [recovered] = await race([startChild({ ...env, AMOCRM_AUTH_CODE: sim.issueAuthCode() })]);
    expect(recovered!.out).toEqual({ ok: true, id: expect.any(Number) });
    expect((await row()).refresh_token).not.toBe(before.refresh_token);
  });
});
