import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Db } from '../db';

/** etl/migrations/0009_grafana_role.sql */
export const GRAFANA_DB_ROLE = 'amokpi_grafana';

/**
 * A SCRAM-SHA-256 verifier as Postgres stores it (RFC 5802/7677). Sending the verifier rather than the
 * password keeps the plain password out of the server's statement log and pg_stat_activity.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * Sets the password Grafana's PostgreSQL data source logs in with (AMOKPI_GRAFANA_DB_PASSWORD) on the
 * read-only role the migrations created. Returns false when the role does not exist (the migrating user
 * could not create roles).
 */
export async function setGrafanaRolePassword(db: Db, password: string): Promise<boolean> {
  const exists = await db.oneOrNone('SELECT 1 FROM pg_roles WHERE rolname = $1', [GRAFANA_DB_ROLE]);
  if (!exists) return false;
  await db.none('ALTER ROLE $1:name WITH LOGIN PASSWORD $2', [GRAFANA_DB_ROLE, scramVerifier(password)]);
  return true;
}
