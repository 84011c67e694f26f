import { BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { Observable, of, throwError } from 'rxjs';

export type Answer = { status: number; data: unknown };
export type Handler = (params: URLSearchParams) => Answer | unknown;

/**
 * getBackendSrv().fetch as the data source sees it, answering from per-path handlers. Handlers
 * return a payload (200) or {status, data}; non-2xx becomes a FetchError, as Grafana's BackendSrv does.
 */
export function fakeFetch(base: string, handlers: Record<string, Handler>) {
  const calls: string[] = [];
  const fetch = (options: BackendSrvRequest): Observable<FetchResponse<unknown>> => {
    calls.push(options.url);
    const url = new URL(options.url, 'http://grafana.local');
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname;
    const handler = handlers[path];
    const answer: Answer = handler
      ? (() => {
          const out = handler(url.searchParams);
          return out && typeof out === 'object' && 'status' in out && 'data' in out ? (out as Answer) : { status: 200, data: out };
        })()
      : { status: 404, data: { status: 404, title: 'Not Found', detail: `no ${path}` } };
    if (answer.status >= 200 && answer.status < 300) {
      return of({ status: answer.status, data: answer.data, ok: true } as FetchResponse<unknown>);
    }
    const error: FetchError = { status: answer.status, data: answer.data, config: options, statusText: 'error' };
    return throwError(() => error);
  };
  return { fetch, calls };
}
