import { DataSourceInstanceSettings } from '@grafana/data';

import { AmokpiOptions } from '../../src/types';

/** Instance settings as Grafana passes them to a proxy-mode data source. */
export function instanceSettings(url = '/api/datasources/proxy/uid/amokpi'): DataSourceInstanceSettings<AmokpiOptions> {
  return {
    id: 1,
    uid: 'amokpi',
    type: 'amokpi-sales-datasource',
    name: 'amokpi',
    access: 'proxy',
    url,
    jsonData: { url: 'http://amokpi:8080' },
    readOnly: false,
    meta: {} as DataSourceInstanceSettings['meta'],
  } as DataSourceInstanceSettings<AmokpiOptions>;
}
