import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { scrub, log } from '../log';
import { KpiInputError } from '../kpi/time';

/** Extension members of a problem (RFC 9457 §3.2), e.g. the refused row of a batch. */
export type ProblemExtras = Record<string, string | number | boolean | null>;

/** An error that becomes an application/problem+json answer. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
  }
}

/** The standard reason phrase of a status (413 Payload Too Large, 415 Unsupported Media Type…). */
export const titleOf = (status: number): string => STATUS_CODES[status] ?? 'Error';

/** The JSON text of a problem; the detail is scrubbed of anything that looks like a secret. */
export function problemJson(status: number, title: string, detail: string, extras: ProblemExtras = {}): string {
  return JSON.stringify({ type: 'about:blank', title, status, detail: scrub(detail), ...extras });
}

export function sendProblem(res: Response, status: number, title: string, detail: string, extras: ProblemExtras = {}): void {
  res.status(status).type('application/problem+json').send(problemJson(status, title, detail, extras));
}

export const badRequest = (detail: string, extras?: ProblemExtras) => new HttpProblem(400, titleOf(400), detail, extras);

/** Last middleware: every failure is problem+json, titled by its status; internals are logged, not echoed. */
export function problemHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  if (err instanceof HttpProblem) return sendProblem(res, err.status, err.title, err.message, err.extras);
  if (err instanceof KpiInputError) return sendProblem(res, 400, titleOf(400), err.message);
  // The router decodes path parameters while matching a route; its message ("Failed to decode param") is not ours.
  if (err instanceof URIError) return sendProblem(res, 400, titleOf(400), `the path is not valid percent-encoding: ${req.originalUrl.split('?')[0]}`);
  // body-parser's errors: a 4xx with a message written for the client.
  const e = err as { type?: string; status?: number; message?: string; limit?: number };
  if (e?.type === 'entity.parse.failed') return sendProblem(res, 400, titleOf(400), 'the body is not valid JSON');
  if (e?.type === 'entity.too.large' && e.limit) return sendProblem(res, 413, titleOf(413), `the body is larger than the ${e.limit} bytes this endpoint takes`);
  if (e?.status && e.status >= 400 && e.status < 500) return sendProblem(res, e.status, titleOf(e.status), e.message ?? titleOf(e.status).toLowerCase());
  log().error({ err }, 'request failed');
  sendProblem(res, 500, titleOf(500), 'the server failed to answer; see its log');
}
