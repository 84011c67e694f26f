import { startSimulator, type Simulator } from '../../src/simulator';
import { get, NOW, post } from './helpers';

const client = { clientId: '4f1c2a9e-0000-4000-8000-000000000001', clientSecret: 'top-secret-value', redirectUri: 'https://example.com/cb' };
const creds = { client_id: client.clientId, client_secret: client.clientSecret, redirect_uri: client.redirectUri };
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ size: { leads: 20 }, now: NOW, rps: 0, oauth: client });
});
afterAll(() => sim.close());

describe('OAuth 2.0', () => {
  it('exchanges a code for a 24 h token pair that opens the API; the code is single-use', async () => {
    const code = sim.issueAuthCode();
    const a = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'authorization_code', code });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ token_type: 'Bearer', expires_in: 86400, server_time: expect.any(Number) });
    expect(a.json.access_token.split('.')).toHaveLength(3); // a JWT
    expect(a.json.refresh_token).toMatch(/^def502/);
    expect((await get(sim, '/api/v4/account', a.json.access_token)).status).toBe(200);

    const again = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'authorization_code', code });
    expect(again.status).toBe(400);
    expect(again.type).toBe('application/problem+json');
  });

  it('rotates refresh tokens: each works once, reuse is 401 "Token has been revoked"', async () => {
    const first = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'authorization_code', code: sim.issueAuthCode() });
    const second = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'refresh_token', refresh_token: first.json.refresh_token });
    expect(second.status).toBe(200);
    expect(second.json.refresh_token).not.toBe(first.json.refresh_token);
    expect(second.json.access_token).not.toBe(first.json.access_token);

    const reuse = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'refresh_token', refresh_token: first.json.refresh_token });
    expect(reuse.status).toBe(401);
    expect(reuse.type).toBe('application/problem+json');
    expect(reuse.json).toMatchObject({ hint: 'Token has been revoked', status: 401, type: 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson' });

    const third = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'refresh_token', refresh_token: second.json.refresh_token });
    expect(third.status).toBe(200);
  });

  it('rejects a wrong client (401) and a wrong redirect_uri (the spent-token 401, reference 1.3) without spending the code', async () => {
    const code = sim.issueAuthCode();
    const badClient = await post(sim, '/oauth2/access_token', { ...creds, client_secret: 'nope', grant_type: 'authorization_code', code });
    expect(badClient.status).toBe(401);
    expect(badClient.json.status).toBe(401);
    const badRedirect = await post(sim, '/oauth2/access_token', { ...creds, redirect_uri: 'https://evil.example.com/cb', grant_type: 'authorization_code', code });
    const revoked = {
      hint: 'Token has been revoked', title: 'Некорректный запрос', type: 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson', status: 401,
      detail: 'В запросе отсутствует ряд параметров или параметры невалидны',
    };
    expect([badRedirect.status, badRedirect.type, badRedirect.json]).toEqual([401, 'application/problem+json', revoked]);
    const pair = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'authorization_code', code: sim.issueAuthCode() });
    const badRefresh = await post(sim, '/oauth2/access_token', { ...creds, redirect_uri: 'https://evil.example.com/cb', grant_type: 'refresh_token', refresh_token: pair.json.refresh_token });
    expect([badRefresh.status, badRefresh.json]).toEqual([401, revoked]);
    const ok = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'authorization_code', code });
    expect(ok.status).toBe(200);
  });

  it('expired access tokens get 401 until the client refreshes', async () => {
    const pair = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'authorization_code', code: sim.issueAuthCode() });
    expect((await get(sim, '/api/v4/leads?limit=1', pair.json.access_token)).status).toBe(200);
    sim.expireAccessTokens();
    const expired = await get(sim, '/api/v4/leads?limit=1', pair.json.access_token);
    expect(expired.status).toBe(401);
    expect(expired.type).toBe('application/problem+json');
    const fresh = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'refresh_token', refresh_token: pair.json.refresh_token });
    expect((await get(sim, '/api/v4/leads?limit=1', fresh.json.access_token)).status).toBe(200);
  });

  it('tells the account domain for a known refresh token (X-Refresh-Token), 401 otherwise', async () => {
    const pair = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'authorization_code', code: sim.issueAuthCode() });
    const res = await fetch(`${sim.url}/oauth2/account/current/subdomain`, { headers: { 'X-Refresh-Token': pair.json.refresh_token } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: expect.any(Number), subdomain: 'demo', domain: expect.any(String) });
    const unknown = await fetch(`${sim.url}/oauth2/account/current/subdomain`, { headers: { 'X-Refresh-Token': 'def502-nope' } });
    expect(unknown.status).toBe(401);
  });

  it('rejects a body that is not JSON and an unsupported grant', async () => {
    const res = await fetch(`${sim.url}/oauth2/access_token`, { method: 'POST', body: 'not json', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(400);
    const grant = await post(sim, '/oauth2/access_token', { ...creds, grant_type: 'password' });
    expect(grant.status).toBe(400);
  });
});
