import { request, Agent, type Dispatcher } from 'undici';
import { scrub } from '../log';

/** Every failure of `amokpi grafana setup`; the message is the one line the user sees (secrets masked). */
export class GrafanaError extends Error {
  override name = 'GrafanaError';
  constructor(message: string) {
    super(scrub(message));
  }
}

export type GrafanaAuth = { token: string } | { user: string; password: string };

export interface GrafanaResponse {
  status: number;
  body: unknown;
}

const CONNECT_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name could not be resolved',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'no answer in time',
  UND_ERR_SOCKET: 'connection closed',
};

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A small JSON client for Grafana's HTTP API. It turns the answers every call can get — Grafana down,
 * a rejected credential, missing permission — into one clear GrafanaError, and hands every other status
 * back to the caller, which knows what a 404 means for its endpoint.
 */
export class GrafanaClient {
  readonly baseUrl: string;
  private readonly authorization: string;
  private readonly dispatcher: Dispatcher;

  constructor(baseUrl: string, auth: GrafanaAuth, opts: { timeoutMs?: number } = {}) {
    if (!/^https?:\/\/[^/]/.test(baseUrl)) throw new GrafanaError(`--url: must be an http(s) URL of Grafana, e.g. http://localhost:3000 (got "${baseUrl}")`);
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.authorization =
      'token' in auth
        ? `Bearer ${auth.token}`
        : `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    const timeout = opts.timeoutMs ?? 15000;
    this.dispatcher = new Agent({ connectTimeout: timeout, headersTimeout: timeout, bodyTimeout: timeout });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** `opts.forbiddenIsAnswer`: a 403 is returned instead of thrown (for checks that merely lack permission). */
  async call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, opts: { forbiddenIsAnswer?: boolean } = {}): Promise<GrafanaResponse> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.baseUrl + path, {
        method,
        dispatcher: this.dispatcher,
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const code = errorCode(err);
      const why = (code && CONNECT_CODES[code]) ?? (err instanceof Error ? err.message : String(err));
      throw new GrafanaError(`Grafana at ${this.baseUrl} is not reachable (${why}): is it running, and is --url (or GRAFANA_URL) right?`);
    }
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* HTML error pages stay text */
    }
    if (res.statusCode === 401) {
      throw new GrafanaError(
        `Grafana at ${this.baseUrl} rejected the credentials (401 Unauthorized on ${method} ${path}): ` +
          'check --token (a service-account token from Administration → Users and access → Service accounts) or --user/GRAFANA_PASSWORD',
      );
    }
    if (res.statusCode === 403 && !opts.forbiddenIsAnswer) {
      throw new GrafanaError(
        `Grafana refused ${method} ${path} (403 Forbidden): the service account needs the Editor role (Admin to read data sources)`,
      );
    }
    return { status: res.statusCode, body: parsed };
  }

  /** Like call(), but any status other than `ok` is an error naming the request and Grafana's message. */
  async expect(ok: number[], method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const res = await this.call(method, path, body);
    if (!ok.includes(res.status)) throw new GrafanaError(`Grafana answered ${res.status} to ${method} ${path}: ${describeBody(res.body)}`);
    return res.body;
  }
}

/** Grafana puts the reason in `message`; k8s-style endpoints also in `message` of a Status object. */
export function describeBody(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return (text ?? '').replace(/\s+/g, ' ').slice(0, 200);
}
