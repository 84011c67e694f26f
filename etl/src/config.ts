import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { z } from 'zod';
import { DateTime, IANAZone } from 'luxon';

/** The cron parser node-schedule itself uses (its own copy), so a rule that passes here is one it can schedule. */
const cronParser: typeof import('cron-parser') = createRequire(require.resolve('node-schedule'))('cron-parser');

/** Thrown for a missing or malformed setting; its message is the one line printed at start. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const opt = <T extends z.ZodTypeAny>(s: T) => z.preprocess(emptyToUndefined, s.optional());

const exactHttpUrl = z
  .string()
  .url('must be an http(s) URL, e.g. https://mycompany.amocrm.ru')
  .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://');
/** A base URL: trailing slashes dropped so paths can be appended. */
const httpUrl = exactHttpUrl.transform((u) => u.replace(/\/+$/, ''));

/**
 * A postgres:// URL as pg reads it (pg-connection-string), or undefined: `postgres://user:pw@/db?host=/run/pg`, a
 * unix socket with an empty host, is valid there though WHATWG URL refuses user info without a host, so a
 * placeholder host stands in (the hostname is then not the server: the socket is in ?host=).
 */
export function parsePostgresUrl(u: string): URL | undefined {
  for (const candidate of [u, u.replace('@/', '@socket.invalid/')]) {
    try {
      return new URL(candidate);
    } catch {
      /* next */
    }
  }
  return undefined;
}

const postgresUrl = z
  .string()
  .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must be a postgres:// URL, e.g. postgres://user:pass@localhost:5432/amokpi')
  // The message never repeats the URL: it holds the password.
  .refine((u) => parsePostgresUrl(u) !== undefined, 'is not a valid URL (is the port a number? percent-encode special characters of the password), e.g. postgres://user:pass@localhost:5432/amokpi');

/** Where the API listens: an IP address or a host name, without scheme, port or brackets. */
const listenHost = z
  .string()
  .trim()
  .refine(
    // Underscores too: Docker service and container names may carry them.
    (h) => isIP(h) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/.test(h),
    'must be an address or host name of this machine (no scheme, port or brackets), e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (all interfaces)',
  );

const intList = z
  .string()
  .transform((s, ctx) => {
    const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
    if (parts.length === 0) {
      // "" means all managers (the default); a list of only commas is a mistake, not a request for all.
      ctx.addIssue({ code: 'custom', message: 'holds no user ids; give comma-separated user ids, e.g. 101,102, or leave it empty for all managers' });
      return z.NEVER;
    }
    const ids = parts.map(Number);
    if (ids.some((n) => !Number.isSafeInteger(n) || n <= 0)) {
      ctx.addIssue({ code: 'custom', message: 'must be comma-separated positive integer user ids, e.g. 101,102' });
      return z.NEVER;
    }
    return ids;
  });

const bands = z.string().transform((s, ctx) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(s);
  const red = m ? Number(m[1]) : NaN;
  const green = m ? Number(m[2]) : NaN;
  if (!m || !(red < green)) {
    ctx.addIssue({ code: 'custom', message: 'must be two increasing percentages "red,green", e.g. 80,100' });
    return z.NEVER;
  }
  return { red, green };
});

/** An instant with its offset: luxon's strict ISO parser (Date.parse takes 2026-02-30), and no local-time guess. */
const instant = z.string().superRefine((s, ctx) => {
  const example = 'e.g. 2026-12-03T15:00:00+03:00 or 2026-12-03T12:00:00Z';
  const t = DateTime.fromISO(s.trim(), { setZone: true });
  if (!/^\s*\d{4}-\d{2}-\d{2}T/.test(s) || !t.isValid) {
    const why = t.isValid ? '' : ` (${t.invalidExplanation ?? t.invalidReason})`;
    ctx.addIssue({ code: 'custom', message: `must be an ISO-8601 instant${why}, ${example}` });
  } else if (!/(Z|[+-]\d{2}(:?\d{2})?)\s*$/i.test(s)) {
    ctx.addIssue({ code: 'custom', message: `needs an offset or Z (an instant without one is ambiguous), ${example}` });
  }
});

const cron = z.string().superRefine((s, ctx) => {
  const example = 'e.g. "*/5 * * * *"';
  if (!/^\s*(\S+\s+){4,5}\S+\s*$/.test(s)) {
    ctx.addIssue({ code: 'custom', message: `must be a cron expression with 5 or 6 fields, ${example}` });
    return;
  }
  try {
    cronParser.parseExpression(s.trim()).next();
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `is not a valid cron expression (${(err as Error).message}), ${example}` });
  }
});

const schema = z.object({
  DATABASE_URL: opt(postgresUrl),
  AMOKPI_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('.amokpi')),
  AMOCRM_BASE_URL: opt(httpUrl),
  AMOCRM_ACCESS_TOKEN: opt(z.string().min(8, 'looks too short for an amoCRM token')),
  AMOCRM_CLIENT_ID: opt(z.string()),
  AMOCRM_CLIENT_SECRET: opt(z.string()),
  // amoCRM compares redirect_uri byte for byte with the integration's setting: keep it exactly as given.
  AMOCRM_REDIRECT_URI: opt(exactHttpUrl),
  AMOCRM_AUTH_CODE: opt(z.string()),
  AMOCRM_RPS: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: 'must be a number of requests per second, e.g. 6' }).gt(0, 'must be above 0').max(7, 'must be at most 7 (amoCRM allows 7 requests/second)').default(6),
  ),
  AMOKPI_API_TOKEN: opt(z.string().min(8, 'must be at least 8 characters')),
  AMOKPI_ADMIN_TOKEN: opt(z.string().min(8, 'must be at least 8 characters')),
  AMOKPI_PORT: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: 'must be a TCP port number 0-65535, e.g. 8080' }).int('must be an integer port').min(0).max(65535, 'must be a TCP port 0-65535').default(8080),
  ),
  AMOKPI_HOST: z.preprocess(emptyToUndefined, listenHost.default('127.0.0.1')),
  AMOKPI_NOW: opt(instant),
  AMOKPI_TIMEZONE: opt(z.string().refine((z1) => IANAZone.isValidZone(z1), 'must be an IANA time zone, e.g. Europe/Moscow')),
  AMOKPI_BANDS: z.preprocess(emptyToUndefined, bands.default({ red: 80, green: 100 } as never)),
  AMOKPI_MESSAGE_MINUTES: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: 'must be a number of minutes, e.g. 0.5' }).min(0, 'must be a non-negative number of minutes').default(0.5),
  ),
  AMOKPI_MANAGERS: opt(intList),
  AMOKPI_ANSWER_CACHE_MB: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: 'must be a number of megabytes, e.g. 64 (0 keeps no answers)' }).min(0, 'must be 0 (keep no answers) or more megabytes').default(64),
  ),
  AMOKPI_SYNC_CRON: z.preprocess(emptyToUndefined, cron.default('*/5 * * * *')),
  AMOKPI_FULL_SYNC_CRON: z.preprocess(emptyToUndefined, cron.default('30 3 * * *')),
  AMOKPI_GRAFANA_DB_PASSWORD: opt(z.string().min(8, 'must be at least 8 characters')),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
  ),
});

export interface Config {
  databaseUrl?: string;
  dataDir: string;
  amocrm: {
    baseUrl?: string;
    accessToken?: string;
    clientId?: string;
    clientSecret?: string;
    redirectUri?: string;
    authCode?: string;
    rps: number;
  };
  apiToken?: string;
  adminToken?: string;
  port: number;
  host: string;
  now?: string;
  timezone?: string;
  bands: { red: number; green: number };
  messageMinutes: number;
  managers?: number[];
  /** Bytes of sent answers an API process keeps until the data they came from is written (0: none). */
  answerCacheBytes: number;
  syncCron: string;
  fullSyncCron: string;
  /** Password of the read-only database role Grafana logs in as (set by `amokpi grafana setup`). */
  grafanaDbPassword?: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Validates the environment; throws ConfigError with one line naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`${name}: ${issue.message}`);
  }
  const e = parsed.data;
  const oauthParts = [e.AMOCRM_CLIENT_ID, e.AMOCRM_CLIENT_SECRET, e.AMOCRM_REDIRECT_URI];
  if (oauthParts.some(Boolean) && !oauthParts.every(Boolean)) {
    const missing = ['AMOCRM_CLIENT_ID', 'AMOCRM_CLIENT_SECRET', 'AMOCRM_REDIRECT_URI'].filter((_, i) => !oauthParts[i]);
    throw new ConfigError(`${missing[0]}: required for OAuth mode (set AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET and AMOCRM_REDIRECT_URI together)`);
  }
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.AMOKPI_DATA_DIR,
    amocrm: {
      baseUrl: e.AMOCRM_BASE_URL,
      accessToken: e.AMOCRM_ACCESS_TOKEN,
      clientId: e.AMOCRM_CLIENT_ID,
      clientSecret: e.AMOCRM_CLIENT_SECRET,
      redirectUri: e.AMOCRM_REDIRECT_URI,
      authCode: e.AMOCRM_AUTH_CODE,
      rps: e.AMOCRM_RPS,
    },
    apiToken: e.AMOKPI_API_TOKEN,
    adminToken: e.AMOKPI_ADMIN_TOKEN,
    port: e.AMOKPI_PORT,
    host: e.AMOKPI_HOST,
    now: e.AMOKPI_NOW,
    timezone: e.AMOKPI_TIMEZONE,
    bands: e.AMOKPI_BANDS as { red: number; green: number },
    messageMinutes: e.AMOKPI_MESSAGE_MINUTES,
    managers: e.AMOKPI_MANAGERS,
    answerCacheBytes: Math.round(e.AMOKPI_ANSWER_CACHE_MB * 1024 * 1024),
    syncCron: e.AMOKPI_SYNC_CRON,
    fullSyncCron: e.AMOKPI_FULL_SYNC_CRON,
    grafanaDbPassword: e.AMOKPI_GRAFANA_DB_PASSWORD,
    logLevel: e.LOG_LEVEL,
  };
}

/** For commands that talk to amoCRM: one line naming what is missing. */
export function requireAmocrm(config: Config): Required<Pick<Config['amocrm'], 'baseUrl'>> & Config['amocrm'] {
  const a = config.amocrm;
  if (!a.baseUrl) throw new ConfigError('AMOCRM_BASE_URL: required, e.g. https://mycompany.amocrm.ru');
  if (!a.accessToken && !a.clientId) {
    throw new ConfigError('AMOCRM_ACCESS_TOKEN: required (a long-lived token), or configure OAuth with AMOCRM_CLIENT_ID/AMOCRM_CLIENT_SECRET/AMOCRM_REDIRECT_URI');
  }
  return { ...a, baseUrl: a.baseUrl };
}

export function requireTokens(config: Config): { apiToken: string; adminToken: string } {
  if (!config.apiToken) throw new ConfigError('AMOKPI_API_TOKEN: required to serve the KPI API (any secret of 8+ characters)');
  if (!config.adminToken) throw new ConfigError('AMOKPI_ADMIN_TOKEN: required to serve the plan admin endpoint (any secret of 8+ characters)');
  return { apiToken: config.apiToken, adminToken: config.adminToken };
}
