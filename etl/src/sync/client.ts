import { authFromConfig } from '../amocrm/auth';
import { createAmoClient, type AmoClient } from '../amocrm/client';
import { requireAmocrm, type Config } from '../config';
import type { Db } from '../db/pgp';

/** The amoCRM client the sync uses in production: AMOCRM_* settings, the shared limiter at AMOCRM_RPS. */
export function apiFromConfig(config: Config, db: Db): AmoClient {
  const a = requireAmocrm(config);
  return createAmoClient({ baseUrl: a.baseUrl, auth: authFromConfig(config, db), rps: a.rps });
}
