import { getGlobalDispatcher, type Dispatcher } from 'undici';
import { z } from 'zod';
import { registerSecret } from '../log';
import { AmoAuthError, AmoHttpError } from './errors';
import { DEFAULT_RETRY, send, type HttpContext } from './http';
import { noLimit } from './limiter';
import { describeIssue, parseJson } from './payload';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
}

export interface OAuthClientSettings {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  dispatcher?: Dispatcher;
}

export type Grant = { grant_type: 'authorization_code'; code: string } | { grant_type: 'refresh_token'; refresh_token: string };

const tokenResponse = z.object({
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
});

/** The OAuth refusal for a dead grant: amoCRM answers 401 (older: 400) problem+json with a hint. */
export class GrantRefusedError extends AmoAuthError {
  override name = 'GrantRefusedError';
  constructor(
    readonly grant: Grant['grant_type'],
    readonly detail: string,
  ) {
    super(`amoCRM refused the ${grant === 'refresh_token' ? 'refresh token' : 'authorization code'}: ${detail}`);
  }
}

/**
 * POST /oauth2/access_token. A refused grant (400/401) becomes GrantRefusedError so that callers can say
 * what to do; 5xx/429/network errors are retried a few times — a refresh that reached amoCRM but whose
 * answer was lost has spent the token, and the retry then reports it as refused.
 */
export async function requestToken(settings: OAuthClientSettings, grant: Grant): Promise<TokenPair> {
  const origin = new URL(settings.baseUrl).origin;
  const ctx: HttpContext = {
    dispatcher: settings.dispatcher ?? getGlobalDispatcher(),
    account: { limiter: noLimit(), blockedUntil: 0 },
    stats: { requests: 0, throttled: 0, retried: 0 },
    timeoutMs: 30_000,
    retry: { ...DEFAULT_RETRY, maxRetries: 2 },
  };
  const path = '/oauth2/access_token';
  let res;
  try {
    res = await send(ctx, {
      method: 'POST',
      url: `${origin}${path}`,
      path,
      json: { client_id: settings.clientId, client_secret: settings.clientSecret, redirect_uri: settings.redirectUri, ...grant },
    });
  } catch (err) {
    if (err instanceof AmoHttpError && (err.status === 400 || err.status === 401 || err.status === 403)) {
      throw new GrantRefusedError(grant.grant_type, err.message);
    }
    throw err;
  }
  const parsed = tokenResponse.safeParse(parseJson(res.text, `POST ${path}`));
  if (!parsed.success) throw new AmoAuthError(`POST ${path}: unexpected token response: ${describeIssue(parsed.error)}`);
  registerSecret(parsed.data.access_token);
  registerSecret(parsed.data.refresh_token);
  return {
    accessToken: parsed.data.access_token,
    refreshToken: parsed.data.refresh_token,
    // Our own clock, so that "near expiry" is judged consistently with the time we check it.
    expiresAt: new Date(Date.now() + parsed.data.expires_in * 1000),
  };
}

