import pino, { type Logger } from 'pino';

/** Field names whose values are secrets wherever they appear in a log object. */
const SECRET_KEYS = [
  'access_token', 'refresh_token', 'client_secret', 'accessToken', 'refreshToken', 'clientSecret',
  'authorization', 'Authorization', 'apiToken', 'adminToken', 'token', 'code', 'password',
];

const secretValues = new Set<string>();

/** Registers a secret value so that it is masked in every log line and error message. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) secretValues.add(value);
}

/** Masks every registered secret inside a string (for error messages that may echo a request). */
export function scrub(text: string): string {
  let out = text;
  for (const s of secretValues) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}/g, '$1[REDACTED]');
}

/**
 * `code` names an OAuth authorization code (a long random string) and also an error's code (ECONNREFUSED,
 * SQLSTATE 42703): the latter is what a person needs to diagnose a failure and is never a secret.
 */
const ERROR_CODE = /^[A-Z0-9_]{1,40}$/;
function isSecretField(key: string, value: unknown): boolean {
  if (!SECRET_KEYS.includes(key) || value == null || value === '') return false;
  return !(key === 'code' && (typeof value === 'number' || (typeof value === 'string' && ERROR_CODE.test(value))));
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (depth > 6) return value;
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretField(k, v) ? '[REDACTED]' : scrubDeep(v, depth + 1);
    }
    if (value instanceof Error) {
      out.message = scrub(value.message);
      out.stack = value.stack ? scrub(value.stack) : undefined;
      out.type = value.name;
    }
    return out;
  }
  return value;
}

export interface LogOptions {
  level?: string;
  /** Pretty output; defaults to whether stdout is a TTY. */
  pretty?: boolean;
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const pretty = opts.pretty ?? Boolean(process.stdout.isTTY);
  const options: pino.LoggerOptions = {
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: (obj) => scrubDeep(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>;
        return method.apply(this, scrubbed);
      },
    },
    serializers: { err: (e: unknown) => scrubDeep(pino.stdSerializers.err(e as Error)) },
  };
  if (opts.destination) return pino(options, opts.destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2 } } });
  return pino(options, pino.destination(2));
}

let shared: Logger | undefined;
/** The process-wide logger (stderr, so stdout stays clean for command output such as --json). */
export function log(): Logger {
  shared ??= createLogger();
  return shared;
}
export function setLogger(l: Logger): void {
  shared = l;
}
