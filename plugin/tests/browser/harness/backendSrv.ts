import { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { Observable } from 'rxjs';

/**
 * The part of Grafana's BackendSrv a data source uses, over the browser's fetch: JSON bodies parsed,
 * non-2xx answers and network failures delivered as FetchError, as Grafana delivers them.
 */
export const browserBackendSrv = {
  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((subscriber) => {
      const abort = new AbortController();
      window
        .fetch(options.url, {
          method: options.method ?? 'GET',
          headers: { Accept: 'application/json', ...(options.data ? { 'Content-Type': 'application/json' } : {}), ...options.headers },
          body: options.data ? JSON.stringify(options.data) : undefined,
          signal: abort.signal,
        })
        .then(async (res) => {
          const text = await res.text();
          let data: unknown = text;
          try {
            data = text ? JSON.parse(text) : text;
          } catch {
            // not JSON: keep the text, as BackendSrv does
          }
          if (res.ok) {
            subscriber.next({
              data: data as T,
              status: res.status,
              statusText: res.statusText,
              ok: true,
              headers: res.headers,
              redirected: res.redirected,
              type: res.type,
              url: res.url,
              config: options,
            });
            subscriber.complete();
          } else {
            const error: FetchError = { status: res.status, statusText: res.statusText, data, config: options };
            subscriber.error(error);
          }
        })
        .catch((err: unknown) => {
          const error: FetchError = { status: -1, statusText: String(err), data: { message: String(err) }, config: options };
          subscriber.error(error);
        });
      return () => abort.abort();
    });
  },
} as unknown as BackendSrv;
