import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendProblem } from './problem';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of the bearer token against the accepted ones (their digests). */
function tokenMatches(req: Request, accepted: Buffer[]): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  if (!m) return false;
  const given = digest(m[1]!);
  let ok = false;
  for (const t of accepted) ok = timingSafeEqual(given, t) || ok;
  return ok;
}

/** What a 401 says when the route does not say more. */
export const TOKEN_REQUIRED = 'a valid "Authorization: Bearer <token>" header is required';

/**
 * 401 (never data) unless the request carries one of the tokens. `detail` says which token the route wants
 * (by its variable's name, never its value), the same for a missing, a wrong and a weaker token.
 */
export function requireBearer(tokens: (string | undefined)[], detail = TOKEN_REQUIRED) {
  const accepted = tokens.filter((t): t is string => Boolean(t)).map(digest);
  return (req: Request, res: Response, next: NextFunction) => {
    if (accepted.length && tokenMatches(req, accepted)) return next();
    res.set('WWW-Authenticate', 'Bearer');
    sendProblem(res, 401, 'Unauthorized', detail);
  };
}
