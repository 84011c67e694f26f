import type { Dispatcher } from 'undici';
import { requireAmocrm, type Config } from '../config';
import type { Db, Tx } from '../db';
import { log, registerSecret } from '../log';
import { AmoAuthError } from './errors';
import { GrantRefusedError, requestToken, type OAuthClientSettings, type TokenPair } from './token-endpoint';

/** Supplies the Authorization header; the client calls refreshAfter401 once when amoCRM answers 401. */
export interface AuthProvider {
  /** "Bearer ..." */
  authorization(): Promise<string>;
  /**
   * true = a new token is ready, retry once; false = this kind of token cannot be refreshed.
   * `rejected` is the Authorization header amoCRM refused: when the provider has moved on since (another
   * request already refreshed), it answers true without refreshing again.
   */
  refreshAfter401(rejected?: string): Promise<boolean>;
}

/** Refresh this long before the access token's stated expiry (24 h lifetime). */
export const REFRESH_MARGIN_MS = 10 * 60_000;
/** Keep-alive: refresh a pair older than this, well inside the refresh token's 3-month life. */
export const KEEP_ALIVE_AGE_MS = 7 * 24 * 3600_000;
/** Serialises the very first code exchange, when there is no row yet to lock. */
const FIRST_EXCHANGE_LOCK = 0x616d6f6b; // "amok"

/**
 * amoCRM refuses a grant sent with a redirect_uri other than the integration's with the very answer it gives a
 * spent token (401 "Token has been revoked", "параметры невалидны"; reference 1.3), so such a refusal names both.
 */
const REDIRECT_MISMATCH = "Possible cause too: AMOCRM_REDIRECT_URI differs from the integration's redirect URI (amoCRM answers that the same way)";
const ambiguous = (detail: string) => /token has been revoked|параметры невалидны/i.test(detail);
const withRedirectHint = (detail: string) => (ambiguous(detail) ? ` ${REDIRECT_MISMATCH}.` : '');

const REAUTHORIZE =
  'Re-authorize: in amoCRM open Settings → Integrations → your integration → "Keys and scopes", copy a new authorization ' +
  'code (valid 20 minutes), set AMOCRM_AUTH_CODE to it and run amokpi again';

export function longLivedAuth(token: string): AuthProvider {
  registerSecret(token);
  const header = `Bearer ${token}`;
  return {
    authorization: async () => header,
    // A long-lived token has no refresh token; the client turns false into a clear "make a new token" error.
    refreshAfter401: async () => false,
  };
}

export interface OAuthOptions {
  db: Db;
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Exchanged on first start, or when the stored pair is dead. */
  authCode?: string;
  /** HTTP dispatcher for the token endpoint (default: undici's global one). */
  dispatcher?: Dispatcher;
}

interface Row {
  base_url: string;
  access_token: string;
  refresh_token: string;
  expires_at: Date;
  refreshed_at: Date;
}

const SELECT_LOCKED = 'SELECT base_url, access_token, refresh_token, expires_at, refreshed_at FROM app.oauth_tokens WHERE id = 1 FOR UPDATE';

const nearExpiry = (row: Row) => row.expires_at.getTime() - Date.now() < REFRESH_MARGIN_MS;

/**
 * The OAuth token pair lives in one row of app.oauth_tokens. Every change happens inside a transaction that
 * holds the row lock (SELECT … FOR UPDATE) from reading the refresh token until the new pair is committed,
 * so two processes never spend the same single-use refresh token: the second one waits, then finds the row
 * changed and uses the pair the first one stored.
 *
 * A process killed after amoCRM issued a new pair but before COMMIT leaves the old pair in the row. amoCRM
 * has already revoked the old refresh token, so nothing can recover it: the next refresh is refused and the
 * error tells the user to set a new AMOCRM_AUTH_CODE (the old access token keeps working until it expires).
 */
class OAuthStore {
  private current: Row | undefined;
  private inflight: Promise<Row> | undefined;
  private readonly settings: OAuthClientSettings;

  constructor(private readonly opts: OAuthOptions) {
    this.settings = { ...opts, baseUrl: new URL(opts.baseUrl).origin };
    registerSecret(opts.clientSecret);
    registerSecret(opts.authCode);
  }

  /** One refresh at a time inside this process; concurrent callers share its outcome. */
  private single(fn: () => Promise<Row>): Promise<Row> {
    this.inflight ??= fn()
      .then((row) => {
        registerSecret(row.access_token);
        registerSecret(row.refresh_token);
        this.current = row;
        return row;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  async authorization(): Promise<string> {
    let row = this.current;
    if (!row || nearExpiry(row)) row = await this.single(() => this.update((r) => nearExpiry(r)));
    return `Bearer ${row.access_token}`;
  }

  async refreshAfter401(rejectedHeader?: string): Promise<boolean> {
    const rejected = rejectedHeader?.replace(/^Bearer\s+/i, '') ?? this.current?.access_token;
    // Requests queued with the old token come back 401 after this process already refreshed: nothing to do.
    if (this.current && this.current.access_token !== rejected && !nearExpiry(this.current)) return true;
    // If another process already rotated the pair, the row's token differs from the rejected one: use it.
    const stale = (r: Row) => r.access_token === rejected;
    const row = await this.single(() => this.update(stale));
    // Joined a look-up started for another reason (a near-expiry check) that kept the rejected token: refresh.
    if (stale(row)) await this.single(() => this.update(stale));
    return true;
  }

  async keepAlive(): Promise<'refreshed' | 'not-needed'> {
    let refreshed = false;
    await this.single(() =>
      this.update((r) => (refreshed = nearExpiry(r) || Date.now() - r.refreshed_at.getTime() > KEEP_ALIVE_AGE_MS), () => (refreshed = true)),
    );
    return refreshed ? 'refreshed' : 'not-needed';
  }

  /** Under the row lock: refresh when `stale(row)` says so; the first start exchanges the authorization code. */
  private update(stale: (row: Row) => boolean, onExchange?: () => void): Promise<Row> {
    return this.opts.db.tx('amocrm-oauth', async (t) => {
      let row = await this.lockedRow(t);
      if (!row) {
        await t.any('SELECT pg_advisory_xact_lock($1)', [FIRST_EXCHANGE_LOCK]);
        row = await this.lockedRow(t);
        if (!row) {
          onExchange?.();
          return this.save(t, await this.exchangeCode('no OAuth token pair is stored yet'), true);
        }
      }
      if (!stale(row)) return row;
      let pair: TokenPair;
      try {
        pair = await requestToken(this.settings, { grant_type: 'refresh_token', refresh_token: row.refresh_token });
      } catch (err) {
        if (!(err instanceof GrantRefusedError)) throw err;
        const fatal = this.misconfigured(err);
        if (fatal) throw fatal;
        pair = await this.exchangeCode(
          `amoCRM refused the stored refresh token (${err.detail}). It is single-use and lives 3 months: it was already spent ` +
            '(another tool using the same integration, or a process killed between receiving a new pair and saving it) or expired',
          err.detail,
        );
      }
      log().info({ expiresAt: pair.expiresAt.toISOString() }, 'amoCRM OAuth token pair refreshed');
      return this.save(t, pair, false);
    });
  }

  private async lockedRow(t: Tx): Promise<Row | undefined> {
    const row = await t.oneOrNone<Row>(SELECT_LOCKED);
    if (!row) return undefined;
    // A pair for another account is as good as none (the configured account changed).
    return row.base_url === this.settings.baseUrl ? row : undefined;
  }

  /** A refusal that no new code will fix: the integration settings themselves are wrong. */
  private misconfigured(err: GrantRefusedError): AmoAuthError | undefined {
    if (/client authentication|некорректный клиент/i.test(err.detail)) {
      return new AmoAuthError(`${err.message}. Check AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET against the integration's "Keys and scopes" tab`);
    }
    if (/redirect_uri/i.test(err.detail)) {
      return new AmoAuthError(`${err.message}. AMOCRM_REDIRECT_URI must equal the integration's redirect URI exactly`);
    }
    return undefined;
  }

  /** `refused`: the detail of the refresh refusal that led here, if one did. */
  private async exchangeCode(why: string, refused = ''): Promise<TokenPair> {
    const code = this.opts.authCode;
    if (!code) throw new AmoAuthError(`${why}.${withRedirectHint(refused)} ${REAUTHORIZE}`);
    try {
      return await requestToken(this.settings, { grant_type: 'authorization_code', code });
    } catch (err) {
      if (!(err instanceof GrantRefusedError)) throw err;
      throw this.misconfigured(err) ?? new AmoAuthError(
        `${why}, and AMOCRM_AUTH_CODE was refused too (${err.detail}): a code works once and only for 20 minutes.` +
          `${withRedirectHint(err.detail) || withRedirectHint(refused)} ${REAUTHORIZE}`,
      );
    }
  }

  private async save(t: Tx, pair: TokenPair, upsert: boolean): Promise<Row> {
    const values = [this.settings.baseUrl, pair.accessToken, pair.refreshToken, pair.expiresAt];
    const sql = upsert
      ? `INSERT INTO app.oauth_tokens (id, base_url, access_token, refresh_token, expires_at, refreshed_at)
         VALUES (1, $1, $2, $3, $4, now())
         ON CONFLICT (id) DO UPDATE SET base_url = $1, access_token = $2, refresh_token = $3, expires_at = $4, refreshed_at = now()
         RETURNING base_url, access_token, refresh_token, expires_at, refreshed_at`
      : `UPDATE app.oauth_tokens SET access_token = $2, refresh_token = $3, expires_at = $4, refreshed_at = now()
         WHERE id = 1 AND base_url = $1 RETURNING base_url, access_token, refresh_token, expires_at, refreshed_at`;
    return t.one<Row>(sql, values);
  }
}

export function oauthAuth(opts: OAuthOptions): AuthProvider & { keepAlive(): Promise<'refreshed' | 'not-needed'> } {
  const store = new OAuthStore(opts);
  return {
    authorization: () => store.authorization(),
    refreshAfter401: (rejected) => store.refreshAfter401(rejected),
    keepAlive: () => store.keepAlive(),
  };
}

/** AMOCRM_ACCESS_TOKEN (a long-lived token) wins; otherwise OAuth with the pair stored in Postgres. */
export function authFromConfig(config: Config, db: Db): AuthProvider {
  return configuredAuth(config, db).auth;
}

function configuredAuth(config: Config, db: Db) {
  const a = requireAmocrm(config);
  if (a.accessToken) return { mode: 'long-lived' as const, auth: longLivedAuth(a.accessToken) };
  const auth = oauthAuth({
    db,
    baseUrl: a.baseUrl,
    clientId: a.clientId!,
    clientSecret: a.clientSecret!,
    redirectUri: a.redirectUri!,
    authCode: a.authCode,
  });
  return { mode: 'oauth' as const, auth };
}

/**
 * Keeps the refresh token alive even when no sync runs: refreshes a pair older than 7 days (or about to
 * expire). Run it on a schedule (daily is plenty).
 */
export async function keepAliveRefresh(config: Config, db: Db): Promise<'refreshed' | 'not-needed' | 'long-lived'> {
  const c = configuredAuth(config, db);
  return c.mode === 'long-lived' ? 'long-lived' : c.auth.keepAlive();
}
