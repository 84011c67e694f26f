/** data-testid values shared by the unit tests and the browser harness. */
export const TEST_IDS = {
  configUrl: 'amokpi-config-url',
  configToken: 'amokpi-config-token',
  queryType: 'amokpi-query-type',
  manager: 'amokpi-query-manager',
  pipeline: 'amokpi-query-pipeline',
  minDays: 'amokpi-query-min-days',
  limit: 'amokpi-query-limit',
  date: 'amokpi-query-date',
  loadError: 'amokpi-query-load-error',
} as const;
