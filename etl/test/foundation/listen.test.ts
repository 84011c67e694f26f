import net from 'node:net';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { cli, expectOneLine } from '../support/cli';

/** serve and run that cannot listen: one line naming AMOKPI_PORT or AMOKPI_HOST (exit 2), not a raw EADDRINUSE. */
describe('the API cannot listen (real processes, real Postgres)', () => {
  let t: TestDatabase;
  let busy: net.Server;
  let busyPort: number;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await createTestDatabase();
    busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    busyPort = (busy.address() as net.AddressInfo).port;
    env = {
      DATABASE_URL: t.url,
      AMOCRM_BASE_URL: 'http://127.0.0.1:9',
      AMOCRM_ACCESS_TOKEN: 'not-used-token',
      AMOKPI_API_TOKEN: 'api-token-123',
      AMOKPI_ADMIN_TOKEN: 'admin-token-123',
      AMOKPI_HOST: '127.0.0.1',
    };
  });
  afterAll(async () => {
    busy.close();
    await t.drop();
  });

  it.each(['serve', 'run'])('%s on a port in use names AMOKPI_PORT', async (command) => {
    const r = await cli([command], { ...env, AMOKPI_PORT: String(busyPort) });
    expectOneLine(r, 'AMOKPI_PORT', new RegExp(`127\\.0\\.0\\.1:${busyPort} is already in use; set AMOKPI_PORT to a free port`));
  });

  it('a host name that does not resolve names AMOKPI_HOST, not DATABASE_URL or AMOCRM_BASE_URL', async () => {
    const r = await cli(['serve'], { ...env, AMOKPI_PORT: '0', AMOKPI_HOST: 'no-such-host.invalid' });
    expectOneLine(r, 'AMOKPI_HOST', /"no-such-host\.invalid" does not resolve to an address/);
    expect(r.stderr).not.toMatch(/DATABASE_URL|AMOCRM_BASE_URL/);
  });

  it('an address of another machine names AMOKPI_HOST', async () => {
    const r = await cli(['serve'], { ...env, AMOKPI_PORT: '0', AMOKPI_HOST: '192.0.2.1' });
    expectOneLine(r, 'AMOKPI_HOST', /"192\.0\.2\.1" is not an address of this machine/);
  });

  it('a URL instead of a host is refused by the configuration', async () => {
    const r = await cli(['serve'], { ...env, AMOKPI_PORT: '0', AMOKPI_HOST: 'http://0.0.0.0:8080' });
    expectOneLine(r, 'AMOKPI_HOST', /must be an address or host name of this machine/);
  });
});
