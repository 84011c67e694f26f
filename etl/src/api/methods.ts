import type { Request, RequestHandler, Response, Router } from 'express';
import { sendProblem, titleOf } from './problem';

/** What express keeps of a declared route (its typings leave `methods` out). */
interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** The methods of each declared path, in declaration order; GET implies HEAD (express answers it). */
function methodsByPath(stack: RouteLayer[]): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const { route } of stack) {
    if (!route) continue;
    const list = byPath.get(route.path) ?? [];
    for (const [m, on] of Object.entries(route.methods)) {
      if (!on || m === '_all') continue;
      const method = m.toUpperCase();
      if (!list.includes(method)) list.push(method);
      if (method === 'GET' && !list.includes('HEAD')) list.push('HEAD');
    }
    if (list.length) byPath.set(route.path, list);
  }
  return byPath;
}

/**
 * Call once a router's routes are declared: a request for one of their paths with a method none of them has
 * is 405 Method Not Allowed with an Allow header (OPTIONS: 204 with Allow), after `guards` if any (the API
 * checks its token before all its routes instead, so a caller without one learns nothing). Unknown paths still
 * fall through to the 404.
 */
export function refuseOtherMethods(router: Router, ...guards: RequestHandler[]): void {
  for (const [path, methods] of methodsByPath(router.stack as unknown as RouteLayer[])) {
    const allow = methods.join(', ');
    router.all(path, ...guards, (req: Request, res: Response) => {
      res.set('Allow', allow);
      if (req.method === 'OPTIONS') return void res.status(204).end();
      sendProblem(res, 405, titleOf(405), `${req.method} is not allowed on ${req.originalUrl.split('?')[0]}; allowed: ${allow}`);
    });
  }
}
