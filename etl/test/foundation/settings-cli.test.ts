import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, expectOneLine } from '../support/cli';

describe('a malformed setting stops the command at start with one line (real processes)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-settings-'));
  const base = {
    AMOKPI_DATA_DIR: dataDir,
    AMOCRM_BASE_URL: 'http://127.0.0.1:9',
    AMOCRM_ACCESS_TOKEN: 'not-used-token',
    AMOKPI_API_TOKEN: 'api-token-123',
    AMOKPI_ADMIN_TOKEN: 'admin-token-123',
    AMOKPI_PORT: '0',
  };
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('AMOKPI_SYNC_CRON / AMOKPI_FULL_SYNC_CRON with five fields that are not a cron rule', async () => {
    expectOneLine(await cli(['run'], { ...base, AMOKPI_SYNC_CRON: 'a b c d e' }), 'AMOKPI_SYNC_CRON', /not a valid cron expression/);
    expectOneLine(await cli(['run'], { ...base, AMOKPI_FULL_SYNC_CRON: '0 3 30 2 *' }), 'AMOKPI_FULL_SYNC_CRON', /not a valid cron expression/);
  });

  it('AMOKPI_NOW on a day that does not exist, or without an offset', async () => {
    expectOneLine(await cli(['serve'], { ...base, AMOKPI_NOW: '2026-02-30T10:00:00Z' }), 'AMOKPI_NOW', /must be an ISO-8601 instant/);
    expectOneLine(await cli(['serve'], { ...base, AMOKPI_NOW: '2026-02-27T10:00:00' }), 'AMOKPI_NOW', /needs an offset or Z/);
  });

  it('AMOKPI_MANAGERS that holds only commas', async () => {
    expectOneLine(await cli(['serve'], { ...base, AMOKPI_MANAGERS: ',,,' }), 'AMOKPI_MANAGERS', /holds no user ids/);
  });

  it('DATABASE_URL that is not a URL, without its password', async () => {
    const r = await cli(['migrate'], { ...base, DATABASE_URL: 'postgres://amokpi:s3cret-pw@127.0.0.1:notaport/amokpi' });
    expectOneLine(r, 'DATABASE_URL', /is not a valid URL/);
    expect(r.stderr).not.toContain('s3cret-pw');
  });
});

describe('a command-line usage error exits 2, as a bad setting does (real processes)', () => {
  it('an unknown flag, an unknown command, a flag value its parser refuses, a malformed --url', async () => {
    for (const [args, re] of [
      [['demo', '--bogus'], /unknown option '--bogus'/],
      [['nosuchcommand'], /unknown command 'nosuchcommand'/],
      [['simulator', '--port', 'abc'], /--port/],
      [['grafana', 'setup', '--url', 'localhost:3000', '--token', 'glsa_x'], /^amokpi: --url \(or GRAFANA_URL\): must be an http\(s\) URL like http:\/\/localhost:3000, got "localhost:3000"$/m],
    ] as const) {
      const r = await cli([...args], {});
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(re);
    }
    const help = await cli(['--help'], {});
    expect(help.code).toBe(0);
  });
});

describe('LOG_LEVEL', () => {
  it('an unknown level is named with the levels there are', async () => {
    expectOneLine(await cli(['migrate'], { LOG_LEVEL: 'verbose' }), 'LOG_LEVEL', /^amokpi: LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent$/m);
  });
});
