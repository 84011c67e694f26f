import { randomBytes } from 'node:crypto';

/** OAuth 2.0 endpoint of the account: authorization codes, 24 h access tokens, single-use refresh tokens. */

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

const CODE_TTL_MS = 20 * 60 * 1000;
const ACCESS_TTL_S = 86400;
const REFRESH_TTL_MS = 90 * 86400 * 1000;
const OAUTH_PROBLEM = 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson';

export interface OAuthAnswer {
  status: number;
  body: Record<string, unknown>;
  problem: boolean;
}

function problem(status: number, hint: string, title = 'Некорректный запрос', detail = 'В запросе отсутствует ряд параметров или параметры невалидны'): OAuthAnswer {
  return { status, problem: true, body: { hint, title, type: OAUTH_PROBLEM, status, detail } };
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export class OAuthServer {
  private readonly codes = new Map<string, { expiresAt: number; used: boolean }>();
  private readonly access = new Map<string, number>(); // token → expiry (ms)
  private readonly refresh = new Map<string, { expiresAt: number; revoked: boolean }>();

  constructor(
    private readonly client: OAuthClient | undefined,
    private readonly apiDomain: string,
  ) {}

  issueAuthCode(): string {
    if (!this.client) throw new Error('simulator: OAuth is not configured (pass the oauth option)');
    const code = `def50200${randomBytes(96).toString('hex')}`;
    this.codes.set(code, { expiresAt: Date.now() + CODE_TTL_MS, used: false });
    return code;
  }

  isValidAccessToken(token: string): boolean {
    const exp = this.access.get(token);
    return exp !== undefined && exp > Date.now();
  }

  expireAccessTokens(): void {
    for (const t of this.access.keys()) this.access.set(t, 0);
  }

  /** Whether a refresh token was issued here and has not expired (used or not). */
  knowsRefreshToken(token: string): boolean {
    const entry = this.refresh.get(token);
    return entry !== undefined && entry.expiresAt > Date.now();
  }

  /** POST /oauth2/access_token with an already parsed body. */
  exchange(body: Record<string, unknown>): OAuthAnswer {
    const c = this.client;
    if (!c) return problem(400, 'OAuth is not enabled for this account');
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const grant = str('grant_type');
    if (grant !== 'authorization_code' && grant !== 'refresh_token') {
      return problem(400, 'The authorization grant type is not supported by the authorization server.', 'Некорректный запрос');
    }
    if (str('client_id') !== c.clientId || str('client_secret') !== c.clientSecret) {
      return problem(401, 'Client authentication failed', 'Некорректный клиент', 'Авторизация клиента не прошла');
    }
    // A redirect_uri other than the integration's gets exactly the spent-token answer (reference 1.3, amocrm-api-php#83).
    if (str('redirect_uri') !== c.redirectUri) return problem(401, 'Token has been revoked');
    const now = Date.now();
    if (grant === 'authorization_code') {
      const code = str('code');
      if (!code) return problem(400, 'Check the "code" parameter');
      const entry = this.codes.get(code);
      if (!entry) return problem(400, 'Cannot decrypt the authorization code');
      if (entry.used) return problem(400, 'Authorization code has been revoked');
      if (entry.expiresAt <= now) return problem(400, 'Authorization code has expired');
      entry.used = true;
    } else {
      const token = str('refresh_token');
      if (!token) return problem(400, 'Check the "refresh_token" parameter');
      const entry = this.refresh.get(token);
      if (!entry) return problem(401, 'Cannot decrypt the refresh token');
      if (entry.revoked) return problem(401, 'Token has been revoked');
      if (entry.expiresAt <= now) return problem(401, 'Token has expired');
      entry.revoked = true; // single-use: the old refresh token dies at once
    }
    return { status: 200, problem: false, body: this.issuePair(now) };
  }

  private issuePair(now: number): Record<string, unknown> {
    const iat = Math.floor(now / 1000);
    const jti = randomBytes(20).toString('hex');
    const claims = { aud: this.client!.clientId, jti, iat, nbf: iat, exp: iat + ACCESS_TTL_S, sub: '0', api_domain: this.apiDomain, scopes: ['crm'] };
    const accessToken = `${b64url({ typ: 'JWT', alg: 'RS256' })}.${b64url(claims)}.${randomBytes(64).toString('base64url')}`;
    const refreshToken = `def50200${randomBytes(160).toString('hex')}`;
    this.access.set(accessToken, now + ACCESS_TTL_S * 1000);
    this.refresh.set(refreshToken, { expiresAt: now + REFRESH_TTL_MS, revoked: false });
    return { token_type: 'Bearer', expires_in: ACCESS_TTL_S, server_time: iat, access_token: accessToken, refresh_token: refreshToken };
  }
}
