import { loadConfig, type Config } from '../config';
import { openDatabase, type Db } from '../db';
import { migrate } from '../db/migrate';
import { createLogger, setLogger, registerSecret } from '../log';

export interface CommandContext {
  config: Config;
  db: Db;
  databaseUrl: string;
}

/** Loads config (fails fast on a bad setting), configures logging and registers secrets for masking. */
export function prepare(): Config {
  const config = loadConfig();
  setLogger(createLogger({ level: config.logLevel }));
  for (const s of [config.amocrm.accessToken, config.amocrm.clientSecret, config.amocrm.authCode, config.apiToken, config.adminToken]) {
    registerSecret(s);
  }
  return config;
}

/** Opens the database (embedded when DATABASE_URL is unset), applies migrations, runs fn, closes. */
export async function withDatabase<T>(config: Config, fn: (ctx: CommandContext) => Promise<T>): Promise<T> {
  const database = await openDatabase(config);
  try {
    await migrate(database.url, { quiet: true });
    return await fn({ config, db: database.db, databaseUrl: database.url });
  } finally {
    await database.close();
  }
}
