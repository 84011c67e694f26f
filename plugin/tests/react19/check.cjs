// Loads the BUILT plugin (dist/module.js) the way Grafana 13.2 would — an AMD define() given Grafana
// 13.2.3's @grafana/* packages and React 19 — renders both editors into a jsdom page and runs a query
// through the bundle's DataSource. Opt-in (needs its own install): `npm run test:react19 -w plugin`.
'use strict';
const fs = require('fs');
const path = require('path');
const assert = require('assert');

// @grafana/ui's CommonJS build requires stylesheets, which a bundler would handle.
for (const ext of ['.css', '.scss', '.svg']) {
  require.extensions[ext] = () => {};
}

const here = __dirname;
const dist = path.join(here, '..', '..', 'dist', 'module.js');
const local = (name) => require(require.resolve(name, { paths: [here] }));

const { JSDOM } = local('jsdom');
const dom = new JSDOM('<!doctype html><html><body><div id="root"></div></body></html>', { url: 'http://grafana.local/', pretendToBeVisual: true });
const { window } = dom;
class NoopObserver { observe() {} unobserve() {} disconnect() {} takeRecords() { return []; } }
Object.assign(window, { ResizeObserver: NoopObserver, IntersectionObserver: NoopObserver });
window.matchMedia = (query) => ({ matches: false, media: query, onchange: null, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent() { return false; } });
window.HTMLCanvasElement.prototype.getContext = () => null;
// Expose the jsdom window as the global scope, as a browser would (keep Node's own globals).
for (const key of Object.getOwnPropertyNames(window)) {
  // DOM events must be jsdom's, not Node's same-named classes, or dispatchEvent rejects them.
  if (!(key in globalThis) || /Event(Target)?$/.test(key)) {
    Object.defineProperty(globalThis, key, { value: window[key], configurable: true, writable: true });
  }
}
Object.defineProperty(globalThis, 'navigator', { value: window.navigator, configurable: true });
globalThis.window = window;
globalThis.IS_REACT_ACT_ENVIRONMENT = true;
// React reports misuse (invalid props, legacy APIs, act problems) through console.error: collect it.
const reactErrors = [];
const consoleError = console.error;
console.error = (...args) => {
  const line = args.map(String).join(' ');
  // @grafana/runtime's notice that no Grafana server booted this page is expected here.
  if (!line.includes('grafanaBootData was not set')) {
    reactErrors.push(line);
  }
  consoleError(...args);
};

const React = local('react');
const { createRoot } = local('react-dom/client');
const { act } = React;
const shared = {
  '@grafana/data': () => local('@grafana/data'),
  '@grafana/ui': () => local('@grafana/ui'),
  '@grafana/runtime': () => local('@grafana/runtime'),
  react: () => React,
  'react-dom': () => local('react-dom'),
  'react/jsx-runtime': () => local('react/jsx-runtime'),
  rxjs: () => local('rxjs'),
  lodash: () => local('lodash'),
  '@emotion/css': () => local('@emotion/css'),
};

let loaded;
const define = (deps, factory) => {
  const args = deps.map((d) => {
    if (d === 'module') {
      return { uri: 'public/plugins/amokpi-sales-datasource/module.js' };
    }
    if (!shared[d]) {
      throw new Error(`module.js requests ${d}, which Grafana does not share`);
    }
    return shared[d]();
  });
  loaded = { deps, exports: factory(...args) };
};
define.amd = {};
new Function('define', fs.readFileSync(dist, 'utf8'))(define);

const data = local('@grafana/data');
const runtime = local('@grafana/runtime');
const { of } = local('rxjs');
const { plugin } = loaded.exports;

async function main() {
  assert.strictEqual(React.version.split('.')[0], '19');
  assert.ok(plugin instanceof data.DataSourcePlugin, 'exports a DataSourcePlugin (Grafana 13.2 @grafana/data)');

  const answers = {
    '/api/v1/status': { streams: [], dataLagSeconds: 60, timezone: 'Europe/Moscow', currency: 'RUB', now: '2026-03-15T12:00:00+03:00' },
    '/api/v1/managers': [{ id: 11, name: 'Анна', isActive: true }],
    '/api/v1/pipelines': [{ id: 7, name: 'Продажи', statuses: [] }],
    '/api/v1/kpi/managers': {
      date: '2026-03-15', currency: 'RUB', bands: { red: 80, green: 100 },
      rows: [{ managerId: 11, managerName: 'Анна', planAmount: 100, wonAmount: 90, wonCount: 1, completionPct: 90, band: 'yellow', planRemainder: 10, openTasks: 1, overdueTasks: 0, leadsWithoutTasks: 0 }],
    },
  };
  const base = '/api/datasources/proxy/uid/amokpi';
  runtime.setBackendSrv({ fetch: (o) => of({ status: 200, ok: true, data: answers[new URL(o.url, 'http://g').pathname.slice(base.length)] }) });
  runtime.setTemplateSrv({ replace: (s) => s, getVariables: () => [], containsTemplate: () => false, updateTimeRange() {} });
  const ds = new plugin.DataSourceClass({ id: 1, uid: 'amokpi', type: 'amokpi-sales-datasource', name: 'amokpi', access: 'proxy', url: base, jsonData: {}, meta: {} });

  const now = data.dateTime();
  const res = await ds.query({ targets: [{ refId: 'A', version: 1, queryType: 'managers' }], range: { from: now, to: now, raw: { from: 'now-1d', to: 'now' } }, scopedVars: {}, app: 'dashboard' });
  assert.deepStrictEqual(res.data[0].fields.find((f) => f.name === 'completionPct').values, [90]);
  assert.strictEqual((await ds.testDatasource()).message, 'Connected to amokpi: data is 1 minute old.');

  const { ConfigEditor, QueryEditor } = plugin.components;
  const root = createRoot(document.getElementById('root'));
  await act(async () => {
    root.render(React.createElement('div', null,
      React.createElement(ConfigEditor, { options: { jsonData: { url: 'http://amokpi:8080' }, secureJsonFields: { apiToken: true }, secureJsonData: {} }, onOptionsChange() {} }),
      React.createElement(QueryEditor, { query: { refId: 'A', version: 1, queryType: 'managers' }, datasource: ds, onChange() {}, onRunQuery() {} })));
  });
  await act(async () => { await new Promise((r) => setTimeout(r, 50)); });
  const text = document.body.textContent;
  for (const expected of ['amokpi KPI API', 'Выполнение плана / Plan completion', 'Все менеджеры / All managers', 'Все воронки / All pipelines']) {
    assert.ok(text.includes(expected), `rendered text has "${expected}"`);
  }
  assert.ok(document.querySelector('input[value="http://amokpi:8080"]'), 'config editor shows the URL');
  await act(async () => root.unmount());
  assert.deepStrictEqual(reactErrors, [], 'React logged no errors or warnings');
  console.log(`react19: dist/module.js (deps ${loaded.deps.join(', ')}) works with React ${React.version} and @grafana/ui ${local('@grafana/ui/package.json').version}: query, Save & test, both editors rendered`);
}

main().catch((err) => {
  console.error('react19 check failed:', err);
  process.exit(1);
});
