import { loadConfig, ConfigError } from '../../src/config';
import { registerConfigSecrets } from '../../src/cli/context';
import { scrub } from '../../src/log';

describe('config', () => {
  it('has sane defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.bands).toEqual({ red: 80, green: 100 });
    expect(c.messageMinutes).toBe(0.5);
    expect(c.amocrm.rps).toBe(6);
    expect(c.syncCron).toBe('*/5 * * * *');
    expect(c.databaseUrl).toBeUndefined();
  });

  it.each([
    ['AMOCRM_BASE_URL', 'notaurl', /^AMOCRM_BASE_URL: /],
    ['AMOKPI_PORT', '99999', /^AMOKPI_PORT: /],
    ['AMOKPI_PORT', 'abc', /^AMOKPI_PORT: must be a TCP port number 0-65535, e\.g\. 8080$/],
    ['AMOCRM_RPS', 'fast', /^AMOCRM_RPS: must be a number of requests per second/],
    ['AMOKPI_MESSAGE_MINUTES', 'half', /^AMOKPI_MESSAGE_MINUTES: must be a number of minutes/],
    ['AMOKPI_BANDS', '100,80', /^AMOKPI_BANDS: must be two increasing/],
    ['AMOKPI_TIMEZONE', 'Mars/Olympus', /^AMOKPI_TIMEZONE: must be an IANA/],
    ['AMOKPI_NOW', 'yesterday', /^AMOKPI_NOW: must be an ISO-8601/],
    ['AMOKPI_MANAGERS', '1,x', /^AMOKPI_MANAGERS: /],
    ['AMOCRM_RPS', '9', /^AMOCRM_RPS: must be at most 7/],
    ['DATABASE_URL', 'mysql://x', /^DATABASE_URL: must be a postgres/],
    ['AMOKPI_SYNC_CRON', 'often', /^AMOKPI_SYNC_CRON: /],
    // Five fields, but not a rule node-schedule can schedule (it used to run with no schedule at all).
    ['AMOKPI_SYNC_CRON', 'a b c d e', /^AMOKPI_SYNC_CRON: is not a valid cron expression \(Invalid characters/],
    ['AMOKPI_SYNC_CRON', '61 * * * *', /^AMOKPI_SYNC_CRON: is not a valid cron expression \(Constraint error/],
    ['AMOKPI_FULL_SYNC_CRON', '0 3 30 2 *', /^AMOKPI_FULL_SYNC_CRON: is not a valid cron expression/],
    // Date.parse takes February 30th; the KPI endpoints then failed with "Invalid time value".
    ['AMOKPI_NOW', '2026-02-30T10:00:00Z', /^AMOKPI_NOW: must be an ISO-8601 instant \(.*day.*\), e\.g\./],
    ['AMOKPI_NOW', '2026-12-03T15:00:00', /^AMOKPI_NOW: needs an offset or Z \(an instant without one is ambiguous\)/],
    ['AMOKPI_MANAGERS', ',,,', /^AMOKPI_MANAGERS: holds no user ids/],
    ['AMOKPI_HOST', 'http://0.0.0.0', /^AMOKPI_HOST: must be an address or host name/],
    ['AMOKPI_HOST', '127.0.0.1:8080', /^AMOKPI_HOST: must be an address or host name/],
    ['DATABASE_URL', 'postgres://amokpi:s3cret-pw@127.0.0.1:notaport/amokpi', /^DATABASE_URL: is not a valid URL \(is the port a number\?/],
  ])('rejects %s=%s with one line naming it', (name, value, re) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).not.toContain('s3cret-pw');
  });

  it.each([
    ['AMOKPI_SYNC_CRON', '*/5 * * * *'],
    ['AMOKPI_SYNC_CRON', '*/30 * * * * *'],
    ['AMOKPI_FULL_SYNC_CRON', '0 9 * * mon-fri'],
    ['AMOKPI_NOW', '2026-12-03T15:00:00+03:00'],
    ['AMOKPI_NOW', '2026-12-03T12:00:00.250Z'],
    ['AMOKPI_MANAGERS', ''],
    ['AMOKPI_HOST', '0.0.0.0'],
    ['AMOKPI_HOST', '::'],
    ['AMOKPI_HOST', 'etl.internal'],
    ['DATABASE_URL', 'postgres://amokpi:p%40ss@db.internal:5432/amokpi?sslmode=require'],
    // A unix socket as pg reads it: user and password, an empty host, the socket directory in ?host=.
    ['DATABASE_URL', 'postgres://amokpi:pw@/amokpi?host=/var/run/postgresql'],
    ['DATABASE_URL', 'postgres:///amokpi?host=/var/run/postgresql'],
    ['AMOKPI_HOST', 'amokpi_etl'], // a Docker container name
  ])('accepts %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).not.toThrow();
  });

  it('parses lists and bands', () => {
    const c = loadConfig({ AMOKPI_MANAGERS: '5, 7', AMOKPI_BANDS: '70,95', AMOKPI_TIMEZONE: 'Asia/Yekaterinburg' });
    expect(c.managers).toEqual([5, 7]);
    expect(c.bands).toEqual({ red: 70, green: 95 });
    expect(c.timezone).toBe('Asia/Yekaterinburg');
  });

  it('requires the OAuth trio together', () => {
    expect(() => loadConfig({ AMOCRM_CLIENT_ID: 'abc' })).toThrow(/^AMOCRM_CLIENT_SECRET: required for OAuth/);
  });
});

describe('config: OAuth redirect URI', () => {
  it('keeps AMOCRM_REDIRECT_URI byte for byte (amoCRM compares it exactly) while base URLs lose trailing slashes', () => {
    const c = loadConfig({
      AMOCRM_BASE_URL: 'https://acme.amocrm.ru/',
      AMOCRM_CLIENT_ID: 'id',
      AMOCRM_CLIENT_SECRET: 'secret',
      AMOCRM_REDIRECT_URI: 'https://example.com/callback/',
    });
    expect(c.amocrm.baseUrl).toBe('https://acme.amocrm.ru');
    expect(c.amocrm.redirectUri).toBe('https://example.com/callback/');
  });
});

describe('config: the database password is a secret whatever the URL form', () => {
  it.each([
    'postgres://amokpi:tcp-pw-4417@db.internal:5432/amokpi',
    'postgres://amokpi:socket-pw-4417@/amokpi?host=/var/run/postgresql',
  ])('masks the password of %s', (url) => {
    const password = /:([^:@]+)@/.exec(url)![1]!;
    registerConfigSecrets(loadConfig({ DATABASE_URL: url }));
    expect(scrub(`password authentication failed: ${password}`)).toBe('password authentication failed: [REDACTED]');
  });
});
