import type { NextFunction, Request, Response } from 'express';
import { scrub, log } from '../log';
import { KpiInputError } from '../kpi/time';

/** An error that becomes an application/problem+json answer. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
  ) {
    super(detail);
  }
}

export function sendProblem(res: Response, status: number, title: string, detail: string): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title, status, detail: scrub(detail) }));
}

export const badRequest = (detail: string) => new HttpProblem(400, 'Bad Request', detail);

/** Last middleware: every failure is problem+json; internals are logged, not echoed. */
export function problemHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  if (err instanceof HttpProblem) return sendProblem(res, err.status, err.title, err.message);
  if (err instanceof KpiInputError) return sendProblem(res, 400, 'Bad Request', err.message);
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.parse.failed') return sendProblem(res, 400, 'Bad Request', 'the body is not valid JSON');
  if (e?.status && e.status >= 400 && e.status < 500) return sendProblem(res, e.status, 'Bad Request', e.message ?? 'bad request');
  log().error({ err }, 'request failed');
  sendProblem(res, 500, 'Internal Server Error', 'the server failed to answer; see its log');
}
