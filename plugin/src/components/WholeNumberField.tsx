import React, { ChangeEvent } from 'react';
import { InlineField, Input } from '@grafana/ui';

import { useDraft } from './useDraft';

interface Props {
  label: string;
  labelWidth: number;
  tooltip: string;
  error: string;
  testId: string;
  placeholder: string;
  min: number;
  max?: number;
  /** The committed value; undefined = the field is empty. */
  value: number | undefined;
  onCommit: (value: number | undefined) => void;
}

/**
 * An optional whole number in a range. Typing stays a local draft and only a valid value is committed,
 * on blur, so a half-typed number never runs a query; a bad one is marked invalid and committed never.
 */
export function WholeNumberField({
  label,
  labelWidth,
  tooltip,
  error,
  testId,
  placeholder,
  min,
  max,
  value,
  onCommit,
}: Props) {
  const [draft, setDraft] = useDraft(String(value ?? ''));
  const typed = draft.trim() === '' ? undefined : Number(draft);
  const invalid =
    typed !== undefined && (!Number.isInteger(typed) || typed < min || (max !== undefined && typed > max));
  return (
    <InlineField label={label} labelWidth={labelWidth} tooltip={tooltip} invalid={invalid} error={error}>
      <Input
        data-testid={testId}
        type="number"
        min={min}
        max={max}
        step={1}
        width={10}
        placeholder={placeholder}
        value={draft}
        onChange={(e: ChangeEvent<HTMLInputElement>) => setDraft(e.target.value)}
        onBlur={() => !invalid && typed !== value && onCommit(typed)}
      />
    </InlineField>
  );
}
