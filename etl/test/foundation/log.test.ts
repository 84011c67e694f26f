import { Writable } from 'node:stream';
import { createLogger, registerSecret, scrub } from '../../src/log';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'info', pretty: false, destination }) };
}

describe('log redaction', () => {
  it('masks secret fields and registered secret values anywhere in a log line', () => {
    const { lines, logger } = capture();
    registerSecret('def502-super-refresh');
    logger.info({ access_token: 'eyJ.secret.jwt', nested: { refresh_token: 'def502-super-refresh', client_secret: 'cs-123456' } }, 'tokens');
    logger.info({ url: 'https://x/oauth?refresh=def502-super-refresh' }, 'saw def502-super-refresh in a message');
    logger.error({ err: new Error('request failed with Bearer abcdefghijk and def502-super-refresh') }, 'boom');
    const out = lines.join('');
    expect(out).not.toContain('eyJ.secret.jwt');
    expect(out).not.toContain('def502-super-refresh');
    expect(out).not.toContain('cs-123456');
    expect(out).not.toContain('abcdefghijk');
    expect(out.match(/\[REDACTED\]/g)!.length).toBeGreaterThanOrEqual(5);
  });

  it('keeps error codes (ECONNREFUSED, SQLSTATE) but masks an OAuth authorization code', () => {
    const { lines, logger } = capture();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const sql = Object.assign(new Error('column "x" does not exist'), { code: '42703' });
    logger.error({ err: refused }, 'db down');
    logger.error({ err: sql }, 'bad query');
    logger.info({ body: { grant_type: 'authorization_code', code: 'def50200a1b2c3d4e5f6-long-random-code' } }, 'exchanging');
    const out = lines.map((l) => JSON.parse(l));
    expect(out[0].err.code).toBe('ECONNREFUSED');
    expect(out[1].err.code).toBe('42703');
    expect(out[2].body.code).toBe('[REDACTED]');
  });

  it('scrubs error messages', () => {
    registerSecret('long-lived-token-xyz');
    expect(scrub('401 for token long-lived-token-xyz')).toBe('401 for token [REDACTED]');
  });
});
