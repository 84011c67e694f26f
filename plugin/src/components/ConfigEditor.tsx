import React, { ChangeEvent, useState } from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { InlineField, Input, SecretInput, Stack, Text } from '@grafana/ui';

import { AmokpiOptions, AmokpiSecureOptions } from '../types';
import { TEST_IDS } from './testIds';

type Props = DataSourcePluginOptionsEditorProps<AmokpiOptions, AmokpiSecureOptions>;

/** A URL the data proxy can forward to: http(s); a trailing slash is dropped on blur (the route appends /api). */
export function urlProblem(url: string | undefined): string | undefined {
  if (!url) {
    return 'Enter the address of the amokpi ETL, e.g. http://amokpi:8080';
  }
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url)) {
    return 'The address must start with http:// or https://, e.g. http://amokpi:8080';
  }
  return undefined;
}

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields, secureJsonData } = options;
  const [touched, setTouched] = useState(false);
  const problem = urlProblem(jsonData.url);

  const setUrl = (url: string) => onOptionsChange({ ...options, jsonData: { ...jsonData, url } });
  // Normalised when the field is left, not per keystroke (that would eat the slashes of "http://").
  const onUrlBlur = () => {
    setTouched(true);
    const url = (jsonData.url ?? '').trim().replace(/\/+$/, '');
    if (url !== jsonData.url) {
      setUrl(url);
    }
  };
  // The token goes to secureJsonData: Grafana encrypts it and never sends it back to the browser.
  const onTokenChange = (event: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, apiToken: event.target.value } });
  };
  const onTokenReset = () => {
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, apiToken: false },
      secureJsonData: { ...secureJsonData, apiToken: '' },
    });
  };

  return (
    <Stack direction="column" gap={1}>
      <Text element="h3">amokpi KPI API</Text>
      <Text color="secondary">
        Где работает ETL amokpi и каким токеном его читать. / Where the amokpi ETL runs and the token that reads it.
      </Text>
      <InlineField
        label="URL"
        labelWidth={16}
        tooltip="Base URL of `amokpi serve` as Grafana's server sees it (not your browser)"
        invalid={touched && !!problem}
        error={problem}
        grow
      >
        <Input
          data-testid={TEST_IDS.configUrl}
          value={jsonData.url ?? ''}
          placeholder="http://amokpi:8080"
          width={48}
          onChange={(event: ChangeEvent<HTMLInputElement>) => setUrl(event.target.value)}
          onBlur={onUrlBlur}
        />
      </InlineField>
      <InlineField label="API token" labelWidth={16} tooltip="AMOKPI_API_TOKEN of the ETL (read-only token)">
        <SecretInput
          data-testid={TEST_IDS.configToken}
          isConfigured={Boolean(secureJsonFields?.apiToken)}
          value={secureJsonData?.apiToken ?? ''}
          placeholder="AMOKPI_API_TOKEN"
          width={48}
          onReset={onTokenReset}
          onChange={onTokenChange}
        />
      </InlineField>
    </Stack>
  );
}
