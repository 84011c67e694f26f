import { request, type Dispatcher } from 'undici';
import { log } from '../log';
import type { RequestStats } from './api';
import type { AuthProvider } from './auth';
import { AmoAuthError, AmoBlockedError, AmoHttpError } from './errors';
import type { AccountState } from './limiter';

/** How long a 403 block makes every later request fail without touching the network. */
export const BLOCK_COOLDOWN_MS = 60_000;

export interface RetryPolicy {
  maxRetries: number;
  /** First back-off after a 5xx or network error; doubles per attempt. */
  errorBaseMs: number;
  /** First back-off after a 429; amoCRM sends no Retry-After, so at least a second. */
  throttleBaseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, errorBaseMs: 300, throttleBaseMs: 1000, capMs: 30_000 };

export interface HttpContext {
  dispatcher: Dispatcher;
  account: AccountState;
  stats: RequestStats;
  timeoutMs: number;
  retry: RetryPolicy;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Path (no host, no query) for messages. */
  path: string;
  json?: unknown;
  /** Sends `Authorization` from it; a 401 triggers one refresh-and-retry. Absent: unauthenticated. */
  auth?: AuthProvider;
}

export interface HttpResponse {
  status: number;
  contentType: string;
  text: string;
}

/** Exponential back-off with up to +50 % jitter so that concurrent walkers do not retry in lock-step. */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  const plain = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(plain * (1 + Math.random() * 0.5));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** amoCRM's block answer is nginx's HTML "403 Forbidden" page, unlike a JSON 403 for missing rights. */
export function isBlockPage(res: HttpResponse): boolean {
  return res.status === 403 && (/html/i.test(res.contentType) || /^\s*</.test(res.text) || !/^\s*[{[]/.test(res.text));
}

/** The human part of an RFC 7807 problem+json body (or a short excerpt of anything else). */
export function problemDetail(text: string): string {
  try {
    const p = JSON.parse(text) as Record<string, unknown>;
    const parts = [p.title, p.detail, p.hint].filter((x): x is string => typeof x === 'string' && x !== '');
    const validation = p['validation-errors'];
    if (validation) parts.push(JSON.stringify(validation).slice(0, 300));
    if (parts.length) return parts.join(': ');
  } catch {
    /* not JSON */
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 120);
}

function retryAfterMs(header: string | string[] | undefined): number {
  const v = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(v) && v > 0 ? v * 1000 : 0;
}

/**
 * Sends one logical request through the account's limiter: 429, 5xx and network errors are retried with
 * bounded exponential back-off; a 403 block page stops at once (and for every other walker of the account);
 * a 401 gets one refresh-and-retry when the auth provider can refresh.
 */
export async function send(ctx: HttpContext, req: HttpRequest): Promise<HttpResponse> {
  let attempt = 0;
  let refreshed = false;
  for (;;) {
    if (ctx.account.blockedUntil > Date.now()) throw new AmoBlockedError(req.path);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'amokpi/0.1' };
    if (req.auth) headers.authorization = await req.auth.authorization();
    if (req.json !== undefined) headers['content-type'] = 'application/json';
    await ctx.account.limiter.acquire();
    if (ctx.account.blockedUntil > Date.now()) throw new AmoBlockedError(req.path);
    ctx.stats.requests++;
    let res: HttpResponse;
    try {
      const r = await request(req.url, {
        method: req.method,
        headers,
        body: req.json === undefined ? undefined : JSON.stringify(req.json),
        dispatcher: ctx.dispatcher,
        headersTimeout: ctx.timeoutMs,
        bodyTimeout: ctx.timeoutMs,
        // A hard deadline for the whole exchange (undici's own timeouts are coarse).
        signal: AbortSignal.timeout(ctx.timeoutMs),
      });
      const text = await r.body.text();
      const ct = r.headers['content-type'];
      res = { status: r.statusCode, contentType: (Array.isArray(ct) ? ct[0] : ct) ?? '', text };
      if (r.statusCode === 429) {
        ctx.stats.throttled++;
        if (attempt >= ctx.retry.maxRetries) {
          throw new AmoHttpError(429, req.path, `too many requests, gave up after ${attempt + 1} attempts`);
        }
        const delay = Math.max(backoffMs(attempt, ctx.retry.throttleBaseMs, ctx.retry.capMs), retryAfterMs(r.headers['retry-after']));
        // The budget is the account's: every walker waits, not just the one that hit the limit.
        ctx.account.limiter.holdUntil(Date.now() + delay);
        log().warn({ path: req.path, attempt: attempt + 1, delayMs: delay }, 'amoCRM answered 429, backing off');
        attempt++;
        await sleep(delay); // also when the limiter is disabled
        continue;
      }
    } catch (err) {
      if (err instanceof AmoHttpError) throw err;
      const message = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
      if (attempt >= ctx.retry.maxRetries) throw new AmoHttpError(0, req.path, `${message} (gave up after ${attempt + 1} attempts)`);
      ctx.stats.retried++;
      const delay = backoffMs(attempt, ctx.retry.errorBaseMs, ctx.retry.capMs);
      log().warn({ path: req.path, attempt: attempt + 1, delayMs: delay, err: message }, 'amoCRM request failed, retrying');
      attempt++;
      await sleep(delay);
      continue;
    }

    if (res.status >= 200 && res.status < 300) return res;
    if (res.status === 401 && req.auth) {
      if (refreshed) {
        throw new AmoAuthError(
          `amoCRM rejected a freshly issued access token on ${req.path} (401: ${problemDetail(res.text)}): the integration's access ` +
            'was probably revoked in amoCRM. Re-authorize: set AMOCRM_AUTH_CODE to a new authorization code and run again',
        );
      }
      refreshed = true;
      if (await req.auth.refreshAfter401(headers.authorization)) continue;
      throw new AmoAuthError(
        `amoCRM rejected the access token on ${req.path} (401: ${problemDetail(res.text)}): a long-lived token has expired or was ` +
          "revoked. Generate a new long-lived token in the integration's \"Keys and scopes\" tab and set AMOCRM_ACCESS_TOKEN",
      );
    }
    if (isBlockPage(res)) {
      ctx.account.blockedUntil = Date.now() + BLOCK_COOLDOWN_MS;
      log().error({ path: req.path }, 'amoCRM blocked the account (403 HTML); stopping all requests');
      throw new AmoBlockedError(req.path);
    }
    if (res.status >= 500 && attempt < ctx.retry.maxRetries) {
      ctx.stats.retried++;
      const delay = backoffMs(attempt, ctx.retry.errorBaseMs, ctx.retry.capMs);
      log().warn({ path: req.path, status: res.status, attempt: attempt + 1, delayMs: delay }, 'amoCRM server error, retrying');
      attempt++;
      await sleep(delay);
      continue;
    }
    const hint = res.status === 402 ? 'API access is not paid for this amoCRM account' : problemDetail(res.text);
    throw new AmoHttpError(res.status, req.path, res.status >= 500 ? `${hint} (gave up after ${attempt + 1} attempts)` : hint);
  }
}
