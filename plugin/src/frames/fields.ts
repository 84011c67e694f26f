import { FieldConfig, FieldType, MappingType, ThresholdsMode, getValueFormatterIndex } from '@grafana/data';

import { Bands } from './context';

/** Russian first (the agencies' language), English after, as in "План / Plan". */
export const bilingual = (ru: string, en: string): string => `${ru} / ${en}`;

/** Grafana unit id for an ISO currency code: the built-in currencyXXX unit when Grafana has one. */
export function currencyUnit(code: string | null | undefined): string | undefined {
  if (!code) {
    return undefined;
  }
  const upper = code.toUpperCase();
  return getValueFormatterIndex()[`currency${upper}`] ? `currency${upper}` : `suffix: ${upper}`;
}

export const DEFAULT_BANDS: Bands = { red: 80, green: 100 };

/** The same red/yellow/green bounds the API uses for `band`, so colours and bands never disagree. */
export function bandThresholds(bands: Bands): FieldConfig['thresholds'] {
  return {
    mode: ThresholdsMode.Absolute,
    steps: [
      { value: -Infinity, color: 'red' },
      { value: bands.red, color: 'yellow' },
      { value: bands.green, color: 'green' },
    ],
  };
}

export const bandMappings: FieldConfig['mappings'] = [
  {
    type: MappingType.ValueToText,
    options: {
      red: { text: bilingual('Красная зона', 'Red'), color: 'red', index: 0 },
      yellow: { text: bilingual('Жёлтая зона', 'Yellow'), color: 'yellow', index: 1 },
      green: { text: bilingual('Зелёная зона', 'Green'), color: 'green', index: 2 },
    },
  },
];

/** A field spec for createDataFrame: the API's JSON name, a bilingual display name, extra config. */
export interface FieldSpec<Row> {
  name: string;
  type: FieldType;
  ru: string;
  en: string;
  value: (row: Row) => unknown;
  config?: FieldConfig;
}

/** The manager column of the per-manager frames: the name, or "#id" for a user the account no longer lists. */
export const managerNameField: FieldSpec<{ managerId: number; managerName?: string | null }> = {
  name: 'managerName',
  type: FieldType.string,
  ru: 'Менеджер',
  en: 'Manager',
  value: (r) => r.managerName ?? `#${r.managerId}`,
};

export function buildFields<Row>(specs: Array<FieldSpec<Row>>, rows: Row[]) {
  return specs.map((s) => ({
    name: s.name,
    type: s.type,
    values: rows.map(s.value),
    config: { displayName: bilingual(s.ru, s.en), ...s.config },
  }));
}

/**
 * Epoch ms of an ISO-8601 instant. The API writes instants with the account zone's offset, which
 * Grafana's dateTimeParse would drop (it reads wall time), so parse them as instants.
 */
export function instantMs(value: string | null | undefined): number | null {
  if (!value) {
    return null;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
