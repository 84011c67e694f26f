import fs from 'fs';
import path from 'path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import semver from 'semver';

import { pluginJsonSchema } from '../support/pluginJsonSchema';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

function validator() {
  // The published id pattern escapes '-' (\-), which the u flag rejects; draft-07 regexes are non-unicode.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(pluginJsonSchema);
}

describe('plugin.json against the published schema constraints', () => {
  const validate = validator();

  it.each(['src/plugin.json', 'dist/plugin.json'])('%s is valid', (file) => {
    const json = read(file);
    const ok = validate(json);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema catches what the validator would (so a pass means something)', () => {
    const good = read('src/plugin.json');
    const bad = [
      { ...good, metric: true }, // typo of "metrics"
      { ...good, id: 'amokpi-sales' }, // no type suffix
      { ...good, alerting: true }, // alerting without a backend
      { ...good, info: { ...good.info, keywords: [] } },
      { ...good, routes: [{ ...good.routes[0], header: [] }] },
      { ...good, dependencies: {} },
    ];
    expect(bad.map((b) => validate(b))).toEqual(bad.map(() => false));
  });

  it('meets the validator rules the schema cannot express', () => {
    const json = read('dist/plugin.json');
    expect(json.id.endsWith(`-${json.type}`)).toBe(true);
    expect(json.id).toBe('amokpi-sales-datasource');
    expect(semver.validRange(json.dependencies.grafanaDependency)).not.toBeNull();
    expect(json.dependencies.grafanaDependency).toBe('>=12.3.0');
    expect(semver.valid(json.info.version)).toBe(read('package.json').version);
    expect(json.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const logo of Object.values(json.info.logos) as string[]) {
      expect(fs.existsSync(path.join(ROOT, 'dist', logo))).toBe(true);
    }
  });

  it('injects the token through a data-proxy route towards the configured URL', () => {
    const { routes } = read('src/plugin.json');
    expect(routes).toEqual([
      {
        path: 'api',
        url: '{{ .JsonData.url }}/api',
        reqRole: 'Viewer',
        headers: [{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.apiToken }}' }],
      },
    ]);
  });
});
