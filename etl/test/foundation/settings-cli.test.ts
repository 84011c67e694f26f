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
