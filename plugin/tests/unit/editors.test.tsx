import React from 'react';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { DataSourceSettings } from '@grafana/data';

import { ConfigEditor } from '../../src/components/ConfigEditor';
import { QueryEditor } from '../../src/components/QueryEditor';
import { TEST_IDS } from '../../src/components/testIds';
import { DataSource } from '../../src/datasource';
import { AmokpiOptions, AmokpiQuery, AmokpiSecureOptions } from '../../src/types';
import { Handler, fakeFetch } from '../support/fakeBackend';
import * as fx from '../support/fixtures';
import { instanceSettings } from '../support/settings';
import { FakeTemplateSrv } from '../support/templateSrv';

let mockFetch: ReturnType<typeof fakeFetch>['fetch'];
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: (o: unknown) => mockFetch(o as never) }),
}));

function settings(jsonData: AmokpiOptions, secure: Record<string, boolean> = {}) {
  return { jsonData, secureJsonFields: secure, secureJsonData: {} } as unknown as DataSourceSettings<AmokpiOptions, AmokpiSecureOptions>;
}

describe('ConfigEditor', () => {
  it('stores the URL as typed key by key, drops a trailing slash on blur, and keeps the token in secureJsonData', () => {
    // A controlled editor, as Grafana's settings page drives it.
    function Page({ spy }: { spy: jest.Mock }) {
      const [options, setOptions] = React.useState(settings({}));
      return <ConfigEditor options={options} onOptionsChange={(o) => (spy(o), setOptions(o))} />;
    }
    const onOptionsChange = jest.fn();
    render(<Page spy={onOptionsChange} />);
    const url = screen.getByTestId(TEST_IDS.configUrl) as HTMLInputElement;
    for (const ch of 'http://amokpi:8080/') {
      fireEvent.change(url, { target: { value: url.value + ch } });
    }
    expect(url.value).toBe('http://amokpi:8080/');
    fireEvent.blur(url);
    expect(url.value).toBe('http://amokpi:8080');
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ jsonData: { url: 'http://amokpi:8080' } }));
    fireEvent.change(screen.getByPlaceholderText('AMOKPI_API_TOKEN'), { target: { value: 's3cret' } });
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ secureJsonData: { apiToken: 's3cret' } }));
  });

  it('shows a configured token as such and can reset it', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings({ url: 'http://amokpi:8080' }, { apiToken: true })} onOptionsChange={onOptionsChange} />);
    expect(screen.getByDisplayValue('configured')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ secureJsonFields: { apiToken: false }, secureJsonData: { apiToken: '' } })
    );
  });

  it('explains a malformed URL once the field is left', () => {
    render(<ConfigEditor options={settings({ url: 'amokpi:8080' })} onOptionsChange={jest.fn()} />);
    expect(screen.queryByText(/must start with http/)).toBeNull();
    fireEvent.blur(screen.getByTestId(TEST_IDS.configUrl));
    expect(screen.getByText(/must start with http:\/\/ or https:\/\//)).toBeInTheDocument();
  });
});

describe('QueryEditor', () => {
  const BASE = '/api/datasources/proxy/uid/amokpi';
  async function setup(query: Partial<AmokpiQuery>, handlers: Record<string, Handler> = {}) {
    mockFetch = fakeFetch(BASE, {
      '/api/v1/managers': () => fx.managers,
      '/api/v1/pipelines': () => fx.pipelines,
      ...handlers,
    }).fetch;
    const ds = new DataSource(instanceSettings(BASE), new FakeTemplateSrv([{ name: 'manager', current: '11' }]));
    const onChange = jest.fn();
    const onRunQuery = jest.fn();
    const utils = render(
      <QueryEditor query={{ refId: 'A', ...query } as AmokpiQuery} datasource={ds} onChange={onChange} onRunQuery={onRunQuery} />
    );
    await act(async () => {}); // let the manager/pipeline lists load
    return { onChange, onRunQuery, ...utils };
  }

  it('stores a migrated query for an unversioned one', async () => {
    const { onChange } = await setup({ queryType: 'staleDeals' } as Partial<AmokpiQuery>);
    await waitFor(() => expect(onChange).toHaveBeenCalledWith({ refId: 'A', version: 1, queryType: 'staleDeals' }));
  });

  it('shows only the options of the chosen type and runs the query when min days is committed', async () => {
    const { onChange, onRunQuery } = await setup({ version: 1, queryType: 'staleDeals' });
    expect(screen.queryByTestId(TEST_IDS.date)).toBeNull();
    const minDays = screen.getByTestId(TEST_IDS.minDays);
    fireEvent.change(minDays, { target: { value: '10' } });
    expect(onChange).not.toHaveBeenCalled(); // typing alone does not run anything
    fireEvent.blur(minDays);
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', version: 1, queryType: 'staleDeals', minDays: 10 });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.getByText('Все менеджеры / All managers')).toBeInTheDocument();
  });

  it('commits "at most (rows)" on blur only, and empties it back to every row', async () => {
    const { onChange, onRunQuery } = await setup({ version: 1, queryType: 'staleDeals', minDays: 7 });
    const limit = screen.getByTestId(TEST_IDS.limit);
    for (const typed of ['1', '15']) {
      fireEvent.change(limit, { target: { value: typed } }); // typing, key by key
    }
    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
    fireEvent.blur(limit);
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', version: 1, queryType: 'staleDeals', minDays: 7, limit: 15 });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('leaving the limit unchanged runs nothing', async () => {
    const { onChange, onRunQuery } = await setup({ version: 1, queryType: 'staleDeals', limit: 15 });
    const limit = screen.getByTestId(TEST_IDS.limit);
    fireEvent.change(limit, { target: { value: '15' } });
    fireEvent.blur(limit);
    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('clearing the limit commits "every row"', async () => {
    const { onChange } = await setup({ version: 1, queryType: 'staleDeals', limit: 50 });
    const limit = screen.getByTestId(TEST_IDS.limit) as HTMLInputElement;
    expect(limit.value).toBe('50');
    fireEvent.change(limit, { target: { value: '' } });
    fireEvent.blur(limit);
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', version: 1, queryType: 'staleDeals', limit: undefined });
  });

  it.each(['0', '10001', '2.5'])('marks a limit of %s invalid and never commits it', async (typed) => {
    const { onChange, onRunQuery } = await setup({ version: 1, queryType: 'staleDeals' });
    const limit = screen.getByTestId(TEST_IDS.limit);
    fireEvent.change(limit, { target: { value: typed } });
    fireEvent.blur(limit);
    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
    expect(screen.getByText('A whole number from 1 to 10000, or empty for all')).toBeInTheDocument();
  });

  it('offers the limit for stuck deals only', async () => {
    await setup({ version: 1, queryType: 'managers' });
    expect(screen.queryByTestId(TEST_IDS.limit)).toBeNull();
    expect(screen.queryByTestId(TEST_IDS.minDays)).toBeNull();
  });

  it('offers managers from the API and dashboard variables, and picks one', async () => {
    const { onChange } = await setup({ version: 1, queryType: 'managers' });
    const input = document.getElementById(`${TEST_IDS.manager}-input`)!;
    fireEvent.keyDown(input, { key: 'ArrowDown' });
    expect(await screen.findByText('$manager')).toBeInTheDocument();
    fireEvent.click(await screen.findByText('Борис'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', version: 1, queryType: 'managers', managerId: '12' });
  });

  it('rejects a malformed date without running the query', async () => {
    const { onChange } = await setup({ version: 1, queryType: 'department' });
    const date = screen.getByTestId(TEST_IDS.date);
    fireEvent.change(date, { target: { value: '31.03.2026' } });
    fireEvent.blur(date);
    expect(onChange).not.toHaveBeenCalled();
    expect(screen.getByText('A date like 2026-03-31, or a variable')).toBeInTheDocument();
  });

  it('says why the manager list is empty when the API refuses it', async () => {
    await setup({ version: 1, queryType: 'tasks' }, { '/api/v1/managers': () => ({ status: 401, data: { detail: 'bad token' } }) });
    expect(screen.getByText(/refused the API token \(401\)/)).toBeInTheDocument();
  });
});
