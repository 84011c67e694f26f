import { ConfigError, parsePostgresUrl } from '../config';
import { pgp } from './pgp';

/** How long the first connection to DATABASE_URL may take before the host counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 10_000;

type PgError = Error & { code?: string; severity?: string; hostname?: string; address?: string; port?: number };

/** host:port of a URL for messages; never its user info (the password lives there). */
function where(url: string): string {
  const u = parsePostgresUrl(url);
  if (!u) return 'the server';
  const socket = u.searchParams.get('host');
  return socket?.startsWith('/') ? `the socket in ${socket}` : `${u.hostname || 'localhost'}:${u.port || '5432'}`;
}

/**
 * One line, starting "DATABASE_URL: ", for a failed first connection: what went wrong and what to check.
 * pg's own messages name the user and database, never the password; the URL itself is not repeated.
 */
export function describeConnectError(err: unknown, url: string): ConfigError {
  const e = err as PgError;
  const at = where(url);
  const msg = String(e?.message ?? err);
  let why: string;
  switch (e?.code) {
    case '28P01':
      // Postgres answers the same for an unknown role, so as not to tell a stranger which roles exist.
      why = `${msg} at ${at} (check the user name and the password in DATABASE_URL: an unknown user gets this answer too)`;
      break;
    case '28000':
    case '3D000':
    case '42501':
      why = `${msg} at ${at}`;
      break;
    case 'ECONNREFUSED':
      why = `nothing accepts connections at ${at} (is Postgres running there, and is the port right?)`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      why = `host "${e.hostname ?? at.split(':')[0]}" not found (check the host name)`;
      break;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      why = `cannot reach ${at} (${e.code}; check the host and the network)`;
      break;
    default:
      if (/timeout/i.test(msg)) why = `no answer from ${at} within ${CONNECT_TIMEOUT_MS / 1000} s (is the host reachable, and is the port right?)`;
      else if (/terminated unexpectedly|ECONNRESET|socket hang up/i.test(msg)) {
        why = `${at} closed the connection before Postgres answered (is it a Postgres server, and is the port right?)`;
      } else why = `cannot connect to ${at}: ${msg}`;
  }
  return new ConfigError(`DATABASE_URL: ${why}`.replace(/\s*\n\s*/g, ' '));
}

/** Opens and closes one connection so that a wrong DATABASE_URL fails at start, in one line naming it. */
export async function checkConnection(url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  // pg-promise's IClient type leaves out connect/end; the object is pg's Client.
  const client = new pgp.pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: 'amokpi' }) as unknown as import('pg').Client;
  client.on('error', () => {
    /* reported by connect() */
  });
  try {
    await client.connect();
  } catch (err) {
    throw describeConnectError(err, url);
  } finally {
    await client.end().catch(() => undefined);
  }
}
