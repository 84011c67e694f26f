import fs from 'fs';
import path from 'path';
import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import { CoreApp, DataFrame, DataQueryRequest, DataSourceApi, DataSourcePlugin, dateTime } from '@grafana/data';
import { BackendSrv, setBackendSrv, setTemplateSrv } from '@grafana/runtime';

import { fakeFetch } from '../support/fakeBackend';
import * as fx from '../support/fixtures';
import { instanceSettings } from '../support/settings';
import { FakeTemplateSrv } from '../support/templateSrv';

const DIST = path.join(__dirname, '..', '..', 'dist');
const PLUGIN_ID = 'amokpi-sales-datasource';

// Modules Grafana's SystemJS loader shares with plugins (create-plugin's externals, "module" = AMD meta).
const SHARED: Record<string, () => unknown> = {
  '@grafana/data': () => require('@grafana/data'),
  '@grafana/ui': () => require('@grafana/ui'),
  '@grafana/runtime': () => require('@grafana/runtime'),
  react: () => require('react'),
  'react-dom': () => require('react-dom'),
  'react/jsx-runtime': () => require('react/jsx-runtime'),
  rxjs: () => require('rxjs'),
  lodash: () => require('lodash'),
  '@emotion/css': () => require('@emotion/css'),
};

interface Loaded {
  deps: string[];
  exports: { plugin: DataSourcePlugin<DataSourceApi> };
}

/** Evaluates dist/module.js with an AMD define(), resolving each dependency as Grafana would. */
function loadLikeGrafana(): Loaded {
  const file = path.join(DIST, 'module.js');
  if (!fs.existsSync(file)) {
    throw new Error('dist/module.js is missing: run `npm run build -w plugin` first (npm test does)');
  }
  const code = fs.readFileSync(file, 'utf8');
  let loaded: Loaded | undefined;
  const define = (deps: string[], factory: (...args: unknown[]) => unknown) => {
    const args = deps.map((name) => {
      if (name === 'module') {
        return { uri: `public/plugins/${PLUGIN_ID}/module.js` };
      }
      if (!SHARED[name]) {
        throw new Error(`dist/module.js requests "${name}", which Grafana does not share with plugins`);
      }
      return SHARED[name]();
    });
    loaded = { deps, exports: factory(...args) as Loaded['exports'] };
  };
  (define as unknown as { amd: object }).amd = {};
  new Function('define', code)(define);
  if (!loaded) {
    throw new Error('dist/module.js did not call define()');
  }
  return loaded;
}

describe('dist/module.js loaded the way Grafana loads it', () => {
  const { deps, exports } = loadLikeGrafana();

  it('is an AMD module asking only for modules Grafana shares', () => {
    expect(deps.filter((d) => d !== 'module' && !(d in SHARED))).toEqual([]);
    expect(deps).toEqual(expect.arrayContaining(['@grafana/data', '@grafana/runtime', '@grafana/ui', 'react']));
  });

  it('exports a DataSourcePlugin with both editors', () => {
    expect(exports.plugin).toBeInstanceOf(DataSourcePlugin);
    expect(typeof exports.plugin.components.ConfigEditor).toBe('function');
    expect(typeof exports.plugin.components.QueryEditor).toBe('function');
  });

  it('bundles neither React nor React internals that break on Grafana 13 (React 19)', () => {
    const code = fs.readFileSync(path.join(DIST, 'module.js'), 'utf8');
    for (const marker of ['ReactCurrentOwner', '__SECRET_INTERNALS', 'findDOMNode', 'ReactDOM.render', 'createFactory', 'react.element']) {
      expect({ marker, found: code.includes(marker) }).toEqual({ marker, found: false });
    }
  });

  it("runs a query through the bundle's DataSource using Grafana's runtime services", async () => {
    const base = '/api/datasources/proxy/uid/amokpi';
    const backend = fakeFetch(base, { '/api/v1/status': () => fx.status, '/api/v1/kpi/managers': () => fx.managersKpi });
    setBackendSrv({ fetch: backend.fetch } as unknown as BackendSrv);
    setTemplateSrv(new FakeTemplateSrv([{ name: 'manager', current: '13' }]));
    const DataSourceClass = exports.plugin.DataSourceClass as unknown as new (s: unknown) => DataSourceApi;
    const ds = new DataSourceClass(instanceSettings(base));
    const to = dateTime('2026-03-15T12:00:00Z');
    const res = await ds.query({
      targets: [{ refId: 'A', version: 1, queryType: 'managers', managerId: '$manager' }],
      range: { from: to, to, raw: { from: 'now-1d', to: 'now' } },
      scopedVars: {},
      app: CoreApp.Dashboard,
    } as unknown as DataQueryRequest);
    const frame = (res as { data: DataFrame[] }).data[0];
    expect(frame.fields.find((f) => f.name === 'managerName')!.values).toEqual(['Вера']);
    expect(backend.calls).toContain(`${base}/api/v1/kpi/managers`);
  });

  it("renders the bundle's editors with Grafana's @grafana/ui", async () => {
    const { ConfigEditor, QueryEditor } = exports.plugin.components as Required<typeof exports.plugin.components>;
    const options = { jsonData: { url: 'http://amokpi:8080' }, secureJsonFields: { apiToken: true }, secureJsonData: {} };
    const config = render(<ConfigEditor options={options as never} onOptionsChange={() => {}} />);
    expect(screen.getByDisplayValue('http://amokpi:8080')).toBeInTheDocument();
    config.unmount();

    const base = '/api/datasources/proxy/uid/amokpi';
    setBackendSrv({ fetch: fakeFetch(base, { '/api/v1/managers': () => fx.managers, '/api/v1/pipelines': () => fx.pipelines }).fetch } as unknown as BackendSrv);
    setTemplateSrv(new FakeTemplateSrv());
    const DataSourceClass = exports.plugin.DataSourceClass as unknown as new (s: unknown) => DataSourceApi;
    render(
      <QueryEditor
        query={{ refId: 'A', version: 1, queryType: 'managers' } as never}
        datasource={new DataSourceClass(instanceSettings(base)) as never}
        onChange={() => {}}
        onRunQuery={() => {}}
      />
    );
    expect(screen.getByText('Выполнение плана / Plan completion')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByText('Все менеджеры / All managers')).toBeInTheDocument());
  });
});
