import React, { ChangeEvent, useEffect, useMemo } from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, Input, Select, Stack } from '@grafana/ui';

import { DataSource } from '../datasource';
import { migrateQuery } from '../migrate';
import { AmokpiOptions, AmokpiQuery, MAX_STALE_LIMIT, QUERY_TYPES, QueryType, queryTypeInfo } from '../types';
import { EntitySelect } from './EntitySelect';
import { TEST_IDS } from './testIds';
import { useDraft } from './useDraft';
import { useOptions } from './useOptions';
import { WholeNumberField } from './WholeNumberField';

type Props = QueryEditorProps<DataSource, AmokpiQuery, AmokpiOptions>;

const loadManagers = async (ds: DataSource): Promise<Array<SelectableValue<string>>> =>
  (await ds.getManagers()).map((m) => ({
    label: m.name ?? `#${m.id}`,
    value: String(m.id),
    description: m.isActive === false ? 'неактивен / inactive' : undefined,
  }));
const loadPipelines = async (ds: DataSource): Promise<Array<SelectableValue<string>>> =>
  (await ds.getPipelines()).map((p) => ({ label: p.name, value: String(p.id) }));

const typeOptions: Array<SelectableValue<QueryType>> = QUERY_TYPES.map((t) => ({
  label: t.label,
  value: t.value,
  description: t.description,
}));

export function QueryEditor({ query: saved, datasource, onChange, onRunQuery }: Props) {
  const query = useMemo(() => migrateQuery(saved), [saved]);
  useEffect(() => {
    if (query !== saved) {
      onChange(query); // store the migrated shape so the dashboard saves the current version
    }
  }, [query, saved, onChange]);

  const info = queryTypeInfo(query.queryType);
  const managers = useOptions(datasource, loadManagers);
  const pipelines = useOptions(datasource, loadPipelines);
  const variables = useMemo(() => datasource.variableNames(), [datasource]);

  // Text fields commit on blur, so a half-typed date or number never runs a query.
  const [date, setDate] = useDraft(query.date ?? '');

  const update = (patch: Partial<AmokpiQuery>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };
  const dateInvalid = date !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(date) && !date.includes('$');

  return (
    <Stack direction="column" gap={0}>
      <div data-testid={TEST_IDS.queryType}>
        <InlineField label="Показатель / KPI" labelWidth={24} tooltip="What this panel shows">
          <Select
            inputId={`${TEST_IDS.queryType}-input`}
            aria-label="Query type"
            width={52}
            options={typeOptions}
            value={query.queryType}
            onChange={(v) => v.value && update({ queryType: v.value })}
          />
        </InlineField>
      </div>
      <Stack direction="row" gap={0} wrap="wrap">
        {info.options.includes('pipelineId') && (
          <EntitySelect
            label="Воронка / Pipeline"
            tooltip="Count only leads in this pipeline; plan figures become the plans entered for this pipeline (empty where none was entered)"
            allLabel="Все воронки / All pipelines"
            value={query.pipelineId}
            loaded={pipelines}
            variables={variables}
            testId={TEST_IDS.pipeline}
            onChange={(pipelineId) => update({ pipelineId })}
          />
        )}
        {info.options.includes('managerId') && (
          <EntitySelect
            label="Менеджер / Manager"
            tooltip="Only this manager (or the managers a variable selects)"
            allLabel="Все менеджеры / All managers"
            value={query.managerId}
            loaded={managers}
            variables={variables}
            testId={TEST_IDS.manager}
            onChange={(managerId) => update({ managerId })}
          />
        )}
        {info.options.includes('minDays') && (
          <WholeNumberField
            label="Дней на этапе ≥ / Min days"
            labelWidth={30}
            tooltip="Only deals that have sat in their stage at least this many days"
            error="A whole number of days, 0 or more"
            testId={TEST_IDS.minDays}
            placeholder="0"
            min={0}
            value={query.minDays}
            onCommit={(minDays) => update({ minDays })}
          />
        )}
        {info.options.includes('limit') && (
          <WholeNumberField
            label="Не больше строк / At most (rows)"
            labelWidth={32}
            tooltip={`Show only this many deals, the longest-stuck first (a TV needs a screenful, not every open deal); empty = all. 1 to ${MAX_STALE_LIMIT}.`}
            error={`A whole number from 1 to ${MAX_STALE_LIMIT}, or empty for all`}
            testId={TEST_IDS.limit}
            placeholder="все / all"
            min={1}
            max={MAX_STALE_LIMIT}
            value={query.limit}
            onCommit={(limit) => update({ limit })}
          />
        )}
        {info.options.includes('date') && (
          <InlineField
            label="На дату / As of"
            labelWidth={24}
            tooltip="YYYY-MM-DD or a variable; empty = the end of the dashboard's time range"
            invalid={dateInvalid}
            error="A date like 2026-03-31, or a variable"
          >
            <Input
              data-testid={TEST_IDS.date}
              width={30}
              placeholder="конец периода / range end"
              value={date}
              onChange={(e: ChangeEvent<HTMLInputElement>) => setDate(e.target.value.trim())}
              onBlur={() => !dateInvalid && (date || undefined) !== query.date && update({ date: date || undefined })}
            />
          </InlineField>
        )}
      </Stack>
    </Stack>
  );
}
