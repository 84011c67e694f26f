import { isFetchError } from '@grafana/runtime';

export type AmokpiErrorKind = 'auth' | 'unreachable' | 'bad-request' | 'not-found' | 'server' | 'payload' | 'input';

/** An error whose message can be shown to a head of sales as is (no stack, no JSON, no token). */
export class AmokpiError extends Error {
  constructor(
    message: string,
    readonly kind: AmokpiErrorKind,
    readonly status?: number
  ) {
    super(message);
    this.name = 'AmokpiError';
  }
}

function problemDetail(data: unknown): string | undefined {
  if (data && typeof data === 'object') {
    const d = data as Record<string, unknown>;
    for (const key of ['detail', 'title', 'message', 'error']) {
      if (typeof d[key] === 'string' && d[key]) {
        return d[key] as string;
      }
    }
  }
  return typeof data === 'string' && data.length > 0 && data.length < 300 ? data : undefined;
}

/** Turns whatever getBackendSrv().fetch threw into an AmokpiError that says what to do about it. */
export function toAmokpiError(err: unknown, path: string): AmokpiError {
  if (err instanceof AmokpiError) {
    return err;
  }
  if (isFetchError(err)) {
    const status = err.status;
    const detail = problemDetail(err.data);
    // Grafana's data proxy turns an upstream 401 into 400 "Authentication to data source failed" so
    // that the user is not logged out of Grafana; both mean the token is wrong.
    if (status === 401 || status === 403 || (status === 400 && /authentication to data source failed/i.test(detail ?? ''))) {
      return new AmokpiError(
        `The amokpi API refused the API token (${status}): check the token in the data source settings.`,
        'auth',
        status
      );
    }
    if (status === 400) {
      return new AmokpiError(`The amokpi API rejected the query: ${detail ?? 'bad request'}.`, 'bad-request', status);
    }
    if (status === 404) {
      return new AmokpiError(
        `The amokpi API has no ${path} (404): is the data source URL the ETL's base URL, e.g. http://amokpi:8080?`,
        'not-found',
        status
      );
    }
    // Grafana's data proxy answers 502 when the upstream refuses the connection or the URL is wrong;
    // status 0/-1 means the browser never got an answer at all.
    if (status === 502 || status === 503 || status === 504 || !status || status < 0) {
      return new AmokpiError(
        `Cannot reach the amokpi API${status ? ` (${status})` : ''}: check that the ETL is running and the URL in the data source settings.`,
        'unreachable',
        status
      );
    }
    return new AmokpiError(`The amokpi API failed (${status}): ${detail ?? err.statusText ?? 'server error'}.`, 'server', status);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new AmokpiError(`Cannot reach the amokpi API: ${message}`, 'unreachable');
}
