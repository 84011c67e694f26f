import { startSimulator, type Simulator } from '../../src/simulator';
import { createAmoClient } from '../../src/amocrm/client';
import { authFromConfig, keepAliveRefresh, oauthAuth, type AuthProvider } from '../../src/amocrm/auth';
import { AmoAuthError } from '../../src/amocrm/errors';
import { GrantRefusedError, requestToken } from '../../src/amocrm/token-endpoint';
import { loadConfig } from '../../src/config';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createLogger, setLogger } from '../../src/log';

// Retries and back-offs are logged at warn; the assertions here check them through stats instead.
setLogger(createLogger({ level: 'silent' }));

const OAUTH = { clientId: 'b7f1c2d4-0000-4000-8000-000000000001', clientSecret: 'sim-client-secret-xyz', redirectUri: 'https://example.com/amokpi' };

describe('OAuth token pair stored in Postgres, against the simulator', () => {
  let sim: Simulator;
  let tdb: TestDatabase;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 3, token: [], oauth: OAUTH, size: { managers: 2, pipelines: 1, months: 1, leads: 20 } });
    tdb = await createTestDatabase();
  });
  afterAll(async () => {
    await tdb.drop();
    await sim.close();
  });
  beforeEach(async () => {
    await tdb.db.none('DELETE FROM app.oauth_tokens');
    sim.resetStats();
  });

  const provider = (authCode?: string) => oauthAuth({ db: tdb.db, baseUrl: sim.url, ...OAUTH, authCode });
  const row = () => tdb.db.one<{ access_token: string; refresh_token: string; expires_at: Date; refreshed_at: Date; base_url: string }>('SELECT * FROM app.oauth_tokens');
  const account = async (auth: AuthProvider) => {
    const c = createAmoClient({ baseUrl: sim.url, auth });
    try {
      return await c.get<{ id: number }>('/api/v4/account');
    } finally {
      await c.close();
    }
  };
  const tokenCalls = () => sim.stats().byPath['/oauth2/access_token'] ?? 0;

  it('first start exchanges AMOCRM_AUTH_CODE and commits the pair before using it', async () => {
    const acc = await account(provider(sim.issueAuthCode()));
    expect(acc?.id).toEqual(expect.any(Number));
    const r = await row();
    expect(r.base_url).toBe(sim.url);
    expect(r.expires_at.getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect(tokenCalls()).toBe(1);
    // A second process starting later reuses the stored pair: no token request, no code needed.
    await account(provider());
    expect(tokenCalls()).toBe(1);
  });

  it('without a stored pair and without a code, says exactly what to do', async () => {
    const err = await account(provider()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoAuthError);
    expect((err as Error).message).toMatch(/^no OAuth token pair is stored yet\. Re-authorize: .*set AMOCRM_AUTH_CODE to it and run amokpi again$/);
    expect(sim.stats().total).toBe(0);
  });

  it('an expired access token (401) is refreshed once under the row lock, rotating the pair', async () => {
    const auth = provider(sim.issueAuthCode());
    await account(auth);
    const before = await row();
    sim.expireAccessTokens();
    await account(auth);
    const after = await row();
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.access_token).not.toBe(before.access_token);
    expect(sim.stats().status['401']).toBe(1);
    expect(tokenCalls()).toBe(2);
    // The old refresh token is dead now (single-use): proof that the rotation really happened upstream.
    await expect(requestToken({ baseUrl: sim.url, ...OAUTH }, { grant_type: 'refresh_token', refresh_token: before.refresh_token })).rejects.toThrow(
      /Token has been revoked/,
    );
  });

  it('many concurrent walkers hitting 401 with the same dead token cause exactly one refresh', async () => {
    const auth = provider(sim.issueAuthCode());
    const c = createAmoClient({ baseUrl: sim.url, auth });
    try {
      await c.get('/api/v4/account');
      sim.expireAccessTokens();
      sim.resetStats();
      // Each walker took its Authorization header before queueing in the limiter, so most of them send the
      // dead token after the first refresh has already happened.
      await Promise.all(Array.from({ length: 8 }, () => c.get('/api/v4/account')));
    } finally {
      await c.close();
    }
    expect(tokenCalls()).toBe(1);
    expect(sim.stats().status['401']).toBeGreaterThan(1);
  });

  it('refreshes before use when the stored token is near expiry (no 401 needed)', async () => {
    await account(provider(sim.issueAuthCode()));
    await tdb.db.none("UPDATE app.oauth_tokens SET expires_at = now() + interval '2 minutes'");
    const before = await row();
    await account(provider());
    expect((await row()).refresh_token).not.toBe(before.refresh_token);
    expect(sim.stats().status['401']).toBeUndefined();
    expect(tokenCalls()).toBe(2);
  });

  it('uses the pair another process already refreshed instead of refreshing again', async () => {
    const a = provider(sim.issueAuthCode());
    await account(a);
    sim.expireAccessTokens();
    // "Another process" (a separate provider with its own memory) hits the 401 first and rotates the pair.
    await account(provider());
    const rotated = await row();
    expect(tokenCalls()).toBe(2);
    // a still holds the dead access token in memory: its 401 finds a different token in the row and adopts it.
    const acc = await account(a);
    expect(acc?.id).toEqual(expect.any(Number));
    expect(tokenCalls()).toBe(2);
    expect(sim.stats().status['401']).toBe(2);
    expect((await row()).refresh_token).toBe(rotated.refresh_token);
  });

  it('a revoked refresh token gives the re-authorization message; a new code then recovers', async () => {
    await account(provider(sim.issueAuthCode()));
    const stored = await row();
    // Someone else spends the stored refresh token (another tool, or a crash after a refresh before saving).
    await requestToken({ baseUrl: sim.url, ...OAUTH }, { grant_type: 'refresh_token', refresh_token: stored.refresh_token });
    sim.expireAccessTokens();
    const err = await account(provider()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoAuthError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^amoCRM refused the stored refresh token \(.*Token has been revoked\)\. It is single-use/);
    expect(msg).toMatch(/set AMOCRM_AUTH_CODE to it and run amokpi again$/);
    expect(msg).not.toContain(stored.refresh_token);
    expect(msg).not.toContain(OAUTH.clientSecret);

    const used = sim.issueAuthCode();
    await requestToken({ baseUrl: sim.url, ...OAUTH }, { grant_type: 'authorization_code', code: used });
    const err2 = await account(provider(used)).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/AMOCRM_AUTH_CODE was refused too \(.*Authorization code has been revoked\): a code works once/);

    const acc = await account(provider(sim.issueAuthCode()));
    expect(acc?.id).toEqual(expect.any(Number));
    expect((await row()).refresh_token).not.toBe(stored.refresh_token);
  });

  it('wrong client credentials say which settings to check', async () => {
    const bad = oauthAuth({ db: tdb.db, baseUrl: sim.url, ...OAUTH, clientSecret: 'not-the-secret-123', authCode: sim.issueAuthCode() });
    await expect(account(bad)).rejects.toThrow(/Client authentication failed.*Check AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET/);
    await expect(requestToken({ baseUrl: sim.url, ...OAUTH, redirectUri: 'https://elsewhere.example' }, { grant_type: 'authorization_code', code: 'x' })).rejects.toBeInstanceOf(
      GrantRefusedError,
    );
  });

  it('a wrong AMOCRM_REDIRECT_URI (answered like a spent token) is named as a possible cause, without secrets', async () => {
    const wrong = { ...OAUTH, redirectUri: 'https://elsewhere.example/cb' };
    const code = sim.issueAuthCode();
    const first = (await account(oauthAuth({ db: tdb.db, baseUrl: sim.url, ...wrong, authCode: code })).catch((e: unknown) => e)) as Error;
    expect(first).toBeInstanceOf(AmoAuthError);
    expect(first.message).toMatch(/AMOCRM_AUTH_CODE was refused too \(.*Token has been revoked\).*Possible cause too: AMOCRM_REDIRECT_URI differs from the integration's redirect URI/);
    // A stored pair, then the setting changes: the refresh is refused the same way.
    await account(provider(code));
    const stored = await row();
    sim.expireAccessTokens();
    const refresh = (await account(oauthAuth({ db: tdb.db, baseUrl: sim.url, ...wrong })).catch((e: unknown) => e)) as Error;
    expect(refresh.message).toMatch(/^amoCRM refused the stored refresh token \(.*Token has been revoked\)\. .*Possible cause too: AMOCRM_REDIRECT_URI differs/);
    expect(refresh.message).toMatch(/set AMOCRM_AUTH_CODE to it and run amokpi again$/);
    for (const m of [first.message, refresh.message]) {
      expect(m).not.toMatch(/\n/);
      for (const secret of [code, stored.access_token, stored.refresh_token, OAUTH.clientSecret]) expect(m).not.toContain(secret);
    }
  });

  it('never writes a token, refresh token, client secret or code to the logs or errors', async () => {
    const lines: string[] = [];
    setLogger(createLogger({ level: 'trace', pretty: false, destination: { write: (l: string) => lines.push(l) } as never }));
    try {
      const code = sim.issueAuthCode();
      await account(provider(code));
      const first = await row();
      sim.expireAccessTokens();
      await account(provider());
      const second = await row();
      sim.setBlocked(true);
      const blocked = (await account(provider()).catch((e: unknown) => e)) as Error;
      sim.setBlocked(false);
      await requestToken({ baseUrl: sim.url, ...OAUTH }, { grant_type: 'refresh_token', refresh_token: second.refresh_token });
      sim.expireAccessTokens();
      const revoked = (await account(provider(code)).catch((e: unknown) => e)) as Error;
      const text = [...lines, blocked.message, blocked.stack, revoked.message, revoked.stack].join('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const secret of [code, first.access_token, first.refresh_token, second.access_token, second.refresh_token, OAUTH.clientSecret]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      setLogger(createLogger({ level: 'silent' }));
    }
  });

  it('keep-alive refresh: only a pair older than 7 days is refreshed; long-lived tokens need none', async () => {
    const env = {
      AMOCRM_BASE_URL: sim.url,
      AMOCRM_CLIENT_ID: OAUTH.clientId,
      AMOCRM_CLIENT_SECRET: OAUTH.clientSecret,
      AMOCRM_REDIRECT_URI: OAUTH.redirectUri,
      AMOCRM_AUTH_CODE: sim.issueAuthCode(),
    };
    const config = loadConfig(env);
    await account(authFromConfig(config, tdb.db));
    expect(await keepAliveRefresh(config, tdb.db)).toBe('not-needed');
    await tdb.db.none("UPDATE app.oauth_tokens SET refreshed_at = now() - interval '8 days'");
    const before = await row();
    expect(await keepAliveRefresh(config, tdb.db)).toBe('refreshed');
    const after = await row();
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(Date.now() - after.refreshed_at.getTime()).toBeLessThan(60_000);
    expect(await keepAliveRefresh(config, tdb.db)).toBe('not-needed');
    expect(await keepAliveRefresh(loadConfig({ ...env, AMOCRM_ACCESS_TOKEN: 'a-long-lived-token' }), tdb.db)).toBe('long-lived');
  });
});
