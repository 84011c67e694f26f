// The constraints of Grafana's published plugin.json schema (docs/sources/developers/plugins/
// plugin.schema.json, draft-07) that matter for a frontend data source, written out from
// shared/reference/grafana.md §4: closed objects (typos fail), required keys, id/type/version formats.
const semverOrPlaceholder = '^(%VERSION%|\\d+\\.\\d+\\.\\d+([-+][0-9A-Za-z.-]+)?)$';
const dateOrPlaceholder = '^(%TODAY%|\\d{4}-\\d{2}-\\d{2})$';
const templated = { type: 'string', minLength: 1 };

const route = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string' },
    method: { type: 'string' },
    url: { type: 'string' },
    reqSignedIn: { type: 'boolean' },
    reqRole: { type: 'string', enum: ['Admin', 'Editor', 'Viewer'] },
    reqAction: { type: 'string' },
    headers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'content'],
        properties: { name: templated, content: templated },
      },
    },
    body: { type: 'object' },
    urlParams: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, properties: { name: templated, content: templated } },
    },
    tokenAuth: { type: 'object' },
    jwtTokenAuth: { type: 'object' },
  },
};

export const pluginJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'name', 'id', 'info', 'dependencies'],
  properties: {
    $schema: { type: 'string' },
    id: { type: 'string', pattern: '^[0-9a-z]+\\-([0-9a-z]+\\-)?(app|panel|datasource|secretsmanager|transformer)$' },
    type: { type: 'string', enum: ['app', 'datasource', 'panel', 'renderer', 'secretsmanager', 'transformer'] },
    name: { type: 'string', minLength: 1 },
    metrics: { type: 'boolean' },
    annotations: { type: 'boolean' },
    alerting: { type: 'boolean' },
    backend: { type: 'boolean' },
    executable: { type: 'string' },
    logs: { type: 'boolean' },
    tracing: { type: 'boolean' },
    streaming: { type: 'boolean' },
    mixed: { type: 'boolean' },
    builtIn: { type: 'boolean' },
    hideFromList: { type: 'boolean' },
    preload: { type: 'boolean' },
    skipDataQuery: { type: 'boolean' },
    autoEnabled: { type: 'boolean' },
    // Written into dist/plugin.json by create-plugin's BuildModeWebpackPlugin ("production"/"development").
    buildMode: { type: 'string' },
    category: { type: 'string', enum: ['tsdb', 'logging', 'cloud', 'tracing', 'profiling', 'sql', 'enterprise', 'iot', 'other'] },
    state: { type: 'string', enum: ['alpha', 'beta'] },
    queryOptions: {
      type: 'object',
      additionalProperties: false,
      properties: { maxDataPoints: { type: 'boolean' }, minInterval: { type: 'boolean' }, cacheTimeout: { type: 'boolean' } },
    },
    routes: { type: 'array', items: route },
    includes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          uid: { type: 'string' },
          type: { type: 'string', enum: ['dashboard', 'page', 'panel', 'datasource', 'secretsmanager'] },
          name: { type: 'string' },
          component: { type: 'string' },
          role: { type: 'string', enum: ['Admin', 'Editor', 'Viewer'] },
          path: { type: 'string' },
          addToNav: { type: 'boolean' },
          defaultNav: { type: 'boolean' },
          icon: { type: 'string' },
        },
      },
    },
    info: {
      type: 'object',
      additionalProperties: false,
      required: ['logos', 'version', 'updated', 'keywords'],
      properties: {
        description: { type: 'string' },
        author: {
          type: 'object',
          additionalProperties: false,
          properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' }, url: { type: 'string', format: 'uri' } },
        },
        keywords: { type: 'array', minItems: 1, items: { type: 'string' } },
        logos: {
          type: 'object',
          additionalProperties: false,
          required: ['small', 'large'],
          properties: { small: { type: 'string' }, large: { type: 'string' } },
        },
        links: {
          type: 'array',
          items: { type: 'object', properties: { name: { type: 'string' }, url: { type: 'string', format: 'uri' } } },
        },
        screenshots: {
          type: 'array',
          items: { type: 'object', properties: { name: { type: 'string' }, path: { type: 'string' } } },
        },
        version: { type: 'string', pattern: semverOrPlaceholder },
        updated: { type: 'string', pattern: dateOrPlaceholder },
        build: { type: 'object' },
      },
    },
    dependencies: {
      type: 'object',
      additionalProperties: false,
      required: ['grafanaDependency'],
      properties: {
        grafanaDependency: { type: 'string', minLength: 1 },
        grafanaVersion: { type: 'string' },
        plugins: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'type', 'name', 'version'],
            properties: { id: { type: 'string' }, type: { type: 'string' }, name: { type: 'string' }, version: { type: 'string' } },
          },
        },
        extensions: { type: 'object' },
      },
    },
  },
  // Schema text: "alerting: Requires `backend` to be set to `true`."
  if: { properties: { alerting: { const: true } }, required: ['alerting'] },
  then: { properties: { backend: { const: true } }, required: ['backend'] },
} as const;
