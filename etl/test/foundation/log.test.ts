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

  it('scrubs error messages', () => {
    registerSecret('long-lived-token-xyz');
    expect(scrub('401 for token long-lived-token-xyz')).toBe('401 for token [REDACTED]');
  });
});
