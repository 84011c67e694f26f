import React from 'react';
import { SelectableValue } from '@grafana/data';
import { InlineField, Select } from '@grafana/ui';

import { LoadedOptions } from './useOptions';

interface Props {
  label: string;
  tooltip: string;
  allLabel: string;
  value: string | undefined;
  loaded: LoadedOptions;
  variables: string[];
  testId: string;
  onChange: (value: string | undefined) => void;
}

/**
 * A manager or pipeline picker: "All", the dashboard's variables ($manager…), then the entities the
 * API lists. A typed value is accepted too, so a variable defined later still fits.
 */
export function EntitySelect({ label, tooltip, allLabel, value, loaded, variables, testId, onChange }: Props) {
  const options: Array<SelectableValue<string>> = [
    { label: allLabel, value: '' },
    ...variables.map((v) => ({ label: v, value: v, description: 'Dashboard variable / Переменная дашборда' })),
    ...loaded.options,
  ];
  const current = options.find((o) => o.value === (value ?? '')) ?? (value ? { label: value, value } : options[0]);
  return (
    <div data-testid={testId}>
      <InlineField label={label} tooltip={tooltip} labelWidth={24} invalid={Boolean(loaded.error)} error={loaded.error}>
        <Select
          inputId={`${testId}-input`}
          aria-label={label}
          width={36}
          options={options}
          value={current}
          isLoading={loaded.loading}
          allowCustomValue
          onChange={(v) => onChange(v?.value || undefined)}
        />
      </InlineField>
    </div>
  );
}
