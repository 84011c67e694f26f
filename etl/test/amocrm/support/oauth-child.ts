/**
 * A separate amokpi-like process for the OAuth race and crash tests: opens the shared database, builds the
 * OAuth provider and client exactly as production does, waits for "go" on stdin, fetches the account and
 * prints one JSON line. CRASH_AFTER_TOKEN=1 kills the process (SIGKILL) the moment a token response has
 * been fully received — after amoCRM issued the new pair, before it could be committed.
 */
import { Agent, setGlobalDispatcher, type Dispatcher } from 'undici';
import { pgp } from '../../../src/db/pgp';
import { oauthAuth } from '../../../src/amocrm/auth';
import { createAmoClient } from '../../../src/amocrm/client';
import { closePool } from '../../../src/db/close';

const env = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`oauth-child: ${k} is required`);
  return v;
};

function killAfterTokenResponse(dispatch: Dispatcher['dispatch']): Dispatcher['dispatch'] {
  return (opts, handler) => {
    if (!String(opts.path).startsWith('/oauth2/access_token')) return dispatch(opts, handler);
    const h = handler as unknown as Record<string, (...a: unknown[]) => unknown>;
    const wrapped: Record<string, (...a: unknown[]) => unknown> = {};
    for (const m of ['onConnect', 'onError', 'onUpgrade', 'onResponseStarted', 'onHeaders', 'onData', 'onBodySent',
      'onRequestStart', 'onRequestUpgrade', 'onResponseStart', 'onResponseData', 'onResponseError']) {
      if (typeof h[m] === 'function') wrapped[m] = (...a) => h[m]!.apply(handler, a);
    }
    const die = () => {
      process.kill(process.pid, 'SIGKILL');
    };
    wrapped.onComplete = die;
    wrapped.onResponseEnd = die;
    return dispatch(opts, wrapped as unknown as typeof handler);
  };
}

async function main(): Promise<void> {
  if (process.env.CRASH_AFTER_TOKEN === '1') setGlobalDispatcher(new Agent().compose(killAfterTokenResponse));
  const db = pgp({ connectionString: env('DATABASE_URL'), max: 2 });
  const auth = oauthAuth({
    db,
    baseUrl: env('SIM_URL'),
    clientId: env('CLIENT_ID'),
    clientSecret: env('CLIENT_SECRET'),
    redirectUri: env('REDIRECT_URI'),
    authCode: process.env.AMOCRM_AUTH_CODE || undefined,
  });
  const client = createAmoClient({ baseUrl: env('SIM_URL'), auth });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  let out: object;
  try {
    const acc = await client.get<{ id: number }>('/api/v4/account');
    out = { ok: true, id: acc?.id };
  } catch (err) {
    out = { ok: false, name: (err as Error).name, message: (err as Error).message };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await client.close();
  await closePool(db);
  process.exit(0);
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ ok: false, name: 'crash', message: String(err?.stack ?? err) })}\n`);
  process.exit(1);
});
