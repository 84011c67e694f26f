import { z } from 'zod';
import express, { type Request, type RequestHandler } from 'express';
import { badRequest, HttpProblem, titleOf } from './problem';
import { dateProblem, monthProblem } from '../kpi/time';
import { ID_RULE, integerFromText } from '../kpi/integers';

/** How much of a refused value a message quotes: a 10 kB parameter is not echoed whole. */
const QUOTED_CHARS = 40;
const quoted = (s: string) => JSON.stringify(s.length > QUOTED_CHARS ? `${s.slice(0, QUOTED_CHARS)}…` : s);

/** An integer parameter from min to max by the one rule of kpi/integers (the CLI and the plans CSV read ids the same), `rule` saying so. */
function integerParam(min: number, max: number, rule: string) {
  return z.string().transform((s, ctx) => {
    const n = integerFromText(s, min, max);
    if (n !== undefined) return n;
    ctx.addIssue({ code: 'custom', message: `must be ${rule}, got ${quoted(s)}` });
    return z.NEVER;
  });
}

export const idParam = integerParam(1, Number.MAX_SAFE_INTEGER, ID_RULE);

/** Marks an issue whose message starts with the value (`0000-01-01: must be …`): the name goes before it without a colon. */
const VALUE_FIRST = { valueFirst: true };
/** A zod string refined by one of the shared date/month rules of kpi/time (the CLI and the plans CSV use the same). */
const ruled = (problemOf: (s: string) => string | undefined) =>
  z.string().superRefine((s, ctx) => {
    const problem = problemOf(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, params: VALUE_FIRST });
  });
export const dateParam = ruled(dateProblem);
export const monthParam = ruled(monthProblem);
/** The largest minDays: five digits, 270 years, more than any deal has been open. */
export const MAX_MIN_DAYS = 99_999;
export const minDaysParam = integerParam(0, MAX_MIN_DAYS, `an integer from 0 to ${MAX_MIN_DAYS}`);
export const MAX_LIMIT = 10_000;
export const limitParam = integerParam(1, MAX_LIMIT, `an integer from 1 to ${MAX_LIMIT}`);

/** A route's query string: unknown parameters are a 400. Built once per route, not per request (zod compiles it). */
export function querySchema<T extends z.ZodRawShape>(shape: T) {
  return z.object(shape).strict();
}

/** Validates a query string strictly: unknown or repeated parameters are a 400. */
export function parseQuery<S extends z.ZodTypeAny>(req: Request, schema: S): z.infer<S> {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) throw badRequest(describe(parsed.error));
  return parsed.data;
}

export function parseWith<S extends z.ZodTypeAny>(schema: S, value: unknown, name?: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(describe(parsed.error, name));
  return parsed.data;
}

/** `?=x` is a parameter named "": an empty name in a list reads as nothing at all. */
const paramName = (key: string) => key || 'a parameter without a name';

function describe(error: z.ZodError, name = 'input'): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return `unknown parameter(s): ${issue.keys.map(paramName).join(', ')}`;
  const where = issue.path.length ? issue.path.join('.') : name;
  if (issue.code === 'custom' && issue.params?.valueFirst) return `${where} ${issue.message}`;
  if (issue.code === 'invalid_type') return `${where}: expected a single ${issue.expected} value`;
  return `${where}: ${issue.message}`;
}

/** The charset parameter of a Content-Type (quotes removed, lower case), undefined when there is none. */
function charsetOf(params: string[]): string | undefined {
  const given = params.find((p) => p.startsWith('charset='));
  return given?.slice('charset='.length).replace(/^"(.*)"$/, '$1');
}

/**
 * Why a request's Content-Type is not the one JSON bodies take, or undefined when it is: application/json, with
 * no charset or UTF-8 (README). body-parser alone would leave any other type unread (and the route would call the
 * JSON wrong) and would decode UTF-16 and UTF-32.
 */
export function contentTypeProblem(header: string | undefined): string | undefined {
  const must = 'the body must be sent as Content-Type: application/json';
  if (!header) return `${must}, the request has no Content-Type`;
  const [type, ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return `${must}, not ${JSON.stringify(header)}`;
  const charset = charsetOf(params);
  if (charset !== undefined && charset !== 'utf-8') return `unsupported charset "${charset.toUpperCase()}": the body must be UTF-8`;
  return undefined;
}

/**
 * A failure of body-parser's decompression stream: zlib's error passed on as a 400 without a body-parser `type`
 * (its own failures all carry one), its text zlib's ("incorrect header check", "Decompression failed").
 */
function isUndecodable(err: unknown, encoding: string): boolean {
  const e = err as { status?: number; type?: string } | undefined;
  return encoding !== 'identity' && e?.status === 400 && e.type === undefined;
}

/** body-parser's JSON parser, with a body its Content-Encoding does not decode said in our words. */
function parseJson(limit: string): RequestHandler {
  const parse = express.json({ limit, strict: false });
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      const given = req.get('content-encoding') ?? 'identity';
      const encoding = given.toLowerCase();
      next(isUndecodable(err, encoding) ? badRequest(`the body is not valid ${encoding} data (Content-Encoding: ${given})`) : err);
    });
}

/** A route's JSON body of at most `limit`: any other media type or charset is 415 before a byte is read. */
export function jsonBody(limit: string): RequestHandler[] {
  const mediaType: RequestHandler = (req, _res, next) => {
    const problem = contentTypeProblem(req.get('content-type'));
    next(problem ? new HttpProblem(415, titleOf(415), problem) : undefined);
  };
  return [mediaType, parseJson(limit)];
}
