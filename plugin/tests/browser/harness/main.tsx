import React, { useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import {
  CoreApp,
  DataFrame,
  DataQueryResponse,
  DataSourceInstanceSettings,
  DataSourceSettings,
  applyFieldOverrides,
  createTheme,
  dateTime,
  ScopedVars,
  formattedValueToString,
  getFieldDisplayName,
} from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { Alert, Button, GlobalStyles, ThemeContext } from '@grafana/ui';

import { ConfigEditor } from '../../../src/components/ConfigEditor';
import { QueryEditor } from '../../../src/components/QueryEditor';
import { DataSource } from '../../../src/datasource';
import { AmokpiOptions, AmokpiQuery, AmokpiSecureOptions } from '../../../src/types';
import { FakeTemplateSrv } from '../../support/templateSrv';
import { browserBackendSrv } from './backendSrv';

// A stand-in for Grafana's data source page and panel editor: the plugin's own editors with real
// @grafana/ui, settings saved to the data-proxy stand-in, queries through its proxy URL.
declare global {
  interface Window {
    __grafana_public_path__: string;
    harness: { frames: () => unknown };
  }
}
window.__grafana_public_path__ = '/public/';

const UID = 'amokpi';
const theme = createTheme();
setBackendSrv(browserBackendSrv);
setTemplateSrv(new FakeTemplateSrv([{ name: 'manager', current: new URLSearchParams(location.search).get('manager') ?? '' }]));

type Settings = DataSourceSettings<AmokpiOptions, AmokpiSecureOptions>;

async function loadSettings(): Promise<Settings> {
  const res = await fetch(`/api/datasources/uid/${UID}`);
  return res.json();
}

function instanceSettings(s: Settings): DataSourceInstanceSettings<AmokpiOptions> {
  return {
    id: s.id,
    uid: s.uid,
    type: s.type,
    name: s.name,
    access: 'proxy',
    url: `/api/datasources/proxy/uid/${UID}`,
    jsonData: s.jsonData,
    readOnly: false,
    meta: {} as DataSourceInstanceSettings['meta'],
  };
}

/** Grafana's ${__data.fields.x} data-link macro: the value of field x in the link's row. */
function dataMacro(value: string, scopedVars?: ScopedVars): string {
  const ctx = scopedVars?.__dataContext?.value as { frame?: DataFrame; rowIndex?: number } | undefined;
  return value.replace(/\$\{__data\.fields\.(\w+)\}/g, (macro, name: string) => {
    const field = ctx?.frame?.fields.find((f) => f.name === name);
    return field && ctx?.rowIndex !== undefined ? String(field.values[ctx.rowIndex]) : macro;
  });
}

/**
 * The frames as a panel would show them: display names, units, decimals, mappings and threshold
 * colours applied by Grafana's own field-override and display-processor code.
 */
function Frames({ frames }: { frames: DataFrame[] }) {
  const shown = useMemo(
    () => applyFieldOverrides({ data: frames, fieldConfig: { defaults: {}, overrides: [] }, replaceVariables: dataMacro, theme }),
    [frames]
  );
  const cell: React.CSSProperties = { padding: '6px 10px', borderBottom: `1px solid ${theme.colors.border.weak}`, textAlign: 'left' };
  return (
    <>
      {shown.map((frame, i) => {
        const fields = frame.fields.filter((f) => !f.config.custom?.hidden);
        return (
          <table key={i} style={{ marginTop: 12, borderCollapse: 'collapse', fontSize: 13, color: theme.colors.text.primary }}>
            <thead>
              <tr>
                {fields.map((f) => (
                  <th key={f.name} style={{ ...cell, color: theme.colors.text.secondary, fontWeight: 500 }}>
                    {getFieldDisplayName(f, frame)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {Array.from({ length: frame.length }, (_, row) => (
                <tr key={row}>
                  {fields.map((f) => {
                    const display = f.display!(f.values[row]);
                    const colored = Boolean(f.config.thresholds && f.config.color?.mode === 'thresholds') || Boolean(f.config.mappings?.length);
                    const link = f.getLinks?.({ valueRowIndex: row })[0];
                    const text = formattedValueToString(display);
                    return (
                      <td key={f.name} style={{ ...cell, whiteSpace: 'nowrap', color: colored && f.values[row] !== null ? display.color : undefined }}>
                        {link ? (
                          <a href={link.href} target={link.target} style={{ color: theme.colors.text.link }}>
                            {text}
                          </a>
                        ) : (
                          text
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        );
      })}
    </>
  );
}

function App({ initial }: { initial: Settings }) {
  const [options, setOptions] = useState<Settings>(initial);
  const [test, setTest] = useState<{ status: string; message: string }>();
  const [query, setQuery] = useState<AmokpiQuery>({ refId: 'A', version: 1, queryType: 'managers' });
  const [runs, setRuns] = useState(0);
  const [response, setResponse] = useState<DataQueryResponse>();
  const [answered, setAnswered] = useState(0);
  const [saved, setSaved] = useState<Settings>(initial);
  const ds = useMemo(() => new DataSource(instanceSettings(saved)), [saved]);

  const saveAndTest = async () => {
    setTest(undefined);
    const res = await fetch(`/api/datasources/uid/${UID}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonData: options.jsonData, secureJsonData: options.secureJsonData, secureJsonFields: options.secureJsonFields }),
    });
    const stored: Settings = await res.json();
    setOptions(stored);
    setSaved(stored);
    setTest(await new DataSource(instanceSettings(stored)).testDatasource());
  };

  useEffect(() => {
    if (runs === 0) {
      return;
    }
    let live = true;
    // The dashboard range: the last 30 days up to now, or up to ?to= (an instant) for reproducible runs.
    const fixedTo = new URLSearchParams(location.search).get('to');
    const to = fixedTo ? dateTime(fixedTo) : dateTime();
    const from = dateTime(to).subtract(30, 'days');
    Promise.resolve(
      ds.query({
        requestId: `run-${runs}`,
        interval: '1d',
        intervalMs: 86400000,
        targets: [query],
        range: { from, to, raw: fixedTo ? { from, to } : { from: 'now-30d', to: 'now' } },
        scopedVars: {},
        timezone: 'browser',
        app: CoreApp.PanelEditor,
        startTime: Date.now(),
      })
    ).then((r) => {
      if (live) {
        setResponse(r as DataQueryResponse);
        setAnswered(runs);
      }
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runs]);

  const frames = (response?.data ?? []) as DataFrame[];
  window.harness = {
    frames: () =>
      frames.map((f) => ({
        name: f.name,
        fields: Object.fromEntries(f.fields.map((x) => [x.name, { values: [...x.values], displayName: getFieldDisplayName(x, f) }])),
      })),
  };

  return (
    <div style={{ padding: 16, display: 'flex', flexDirection: 'column', gap: 24, width: 1200 }}>
      <section data-testid="config-section" style={{ padding: 16, border: `1px solid ${theme.colors.border.weak}`, width: 720 }}>
        <ConfigEditor options={options} onOptionsChange={setOptions} />
        <div style={{ marginTop: 16 }}>
          <Button onClick={saveAndTest}>Save &amp; test</Button>
        </div>
        {test && (
          <div style={{ marginTop: 16 }} data-testid="test-result" data-status={test.status}>
            <Alert severity={test.status === 'success' ? 'success' : 'error'} title={test.message} />
          </div>
        )}
      </section>
      <section data-testid="query-section" style={{ padding: 16, border: `1px solid ${theme.colors.border.weak}` }}>
        <QueryEditor
          query={query}
          datasource={ds}
          onChange={setQuery}
          onRunQuery={() => setRuns((n) => n + 1)}
        />
        {response?.errors?.map((e) => (
          <div key={e.refId} data-testid="query-error">
            <Alert severity="error" title={e.message ?? 'error'} />
          </div>
        ))}
        <div data-testid="query-result" data-runs={runs} data-answered={answered}>
          <Frames frames={frames} />
        </div>
      </section>
    </div>
  );
}

loadSettings().then((initial) => {
  document.body.style.background = theme.colors.background.canvas;
  createRoot(document.getElementById('root')!).render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <App initial={initial} />
    </ThemeContext.Provider>
  );
});
