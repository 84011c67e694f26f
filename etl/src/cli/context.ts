import { loadConfig, parsePostgresUrl, type Config } from '../config';
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
  registerConfigSecrets(config);
  return config;
}

/** Every secret a setting holds is masked in logs and error lines: tokens and the database passwords. */
export function registerConfigSecrets(config: Config): void {
  const a = config.amocrm;
  for (const s of [a.accessToken, a.clientSecret, a.authCode, config.apiToken, config.adminToken, config.grafanaDbPassword]) registerSecret(s);
  if (config.databaseUrl) {
    const password = parsePostgresUrl(config.databaseUrl)?.password; // loadConfig rejects a URL that does not parse
    if (password) {
      registerSecret(password);
      registerSecret(decodeURIComponent(password));
    }
  }
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
