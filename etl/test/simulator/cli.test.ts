import { spawn } from 'node:child_process';
import path from 'node:path';
import { get, post } from './helpers';

const BIN = path.resolve(__dirname, '../../bin/amokpi.js');

/** Starts `amokpi simulator ...`, resolves with the child and its printed lines once the URL is out. */
function runCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'simulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (/listening on http:\/\/\S+\n[\s\S]*tokens:[^\n]*\n/.test(out) && (!args.includes('--oauth-client-id') || /authorization code[^\n]*\n/.test(out))) resolve(out);
    });
    child.on('exit', (code) => reject(new Error(`simulator exited with ${code}: ${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => out, errors: () => err };
}

describe('amokpi simulator', () => {
  it('serves a seeded account with OAuth, prints URL and code, stops cleanly on SIGTERM', async () => {
    const run = runCli(['--port', '0', '--seed', '2', '--leads', '60', '--managers', '3', '--token', 'cli-token-1',
      '--oauth-client-id', 'cid', '--oauth-client-secret', 'csecret', '--redirect-uri', 'https://example.com/cb', '--timezone', 'Asia/Novosibirsk']);
    const out = await run.ready;
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    const code = /authorization code[^:]*: (\S+)/.exec(out)![1]!;
    const account = await get(url, '/api/v4/account?with=datetime_settings', 'cli-token-1');
    expect(account.status).toBe(200);
    expect(account.json._embedded.datetime_settings.timezone).toBe('Asia/Novosibirsk');
    const pair = await post(url, '/oauth2/access_token', { client_id: 'cid', client_secret: 'csecret', redirect_uri: 'https://example.com/cb', grant_type: 'authorization_code', code });
    expect(pair.status).toBe(200);
    expect((await get(url, '/api/v4/users', pair.json.access_token)).status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/simulator stopped after 3 request\(s\)/);
  });

  it('rejects a bad option with a one-line error and a non-zero exit', async () => {
    const run = runCli(['--leads', 'many']);
    await expect(run.ready).rejects.toThrow(/--leads must be an integer/);
  });
});
