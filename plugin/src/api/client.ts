import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import { z } from 'zod/mini';

import { AmokpiError, toAmokpiError } from './errors';

export type QueryParams = Record<string, string | number | undefined>;

/**
 * Reads the amokpi KPI API through Grafana's data proxy: `baseUrl` is the instance's proxy URL
 * (`/api/datasources/proxy/uid/<uid>`), and the plugin.json route adds the Bearer token server-side.
 */
export class AmokpiClient {
  constructor(private readonly baseUrl: string) {}

  url(path: string, params: QueryParams = {}): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== '') {
        search.set(key, String(value));
      }
    }
    const query = search.toString();
    return `${this.baseUrl}${path}${query ? `?${query}` : ''}`;
  }

  async get<S extends z.ZodMiniType>(path: string, params: QueryParams, schema: S): Promise<z.output<S>> {
    let data: unknown;
    try {
      const response = await lastValueFrom(
        getBackendSrv().fetch<unknown>({ url: this.url(path, params), method: 'GET', showErrorAlert: false })
      );
      data = response.data;
    } catch (err) {
      throw toAmokpiError(err, path);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new AmokpiError(
        `The amokpi API answered ${path} with data this plugin does not understand (is the ETL up to date?): ${z.prettifyError(parsed.error)}`,
        'payload'
      );
    }
    return parsed.data;
  }
}
