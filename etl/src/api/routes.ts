import express, { type Request, type Response, type Router } from 'express';
import type { Config } from '../config';
import type { Db } from '../db';
import { activity } from '../kpi/activity';
import type { KpiContext } from '../kpi/context';
import { department } from '../kpi/department';
import { managersBoard } from '../kpi/managers';
import { amountProblem, deletePlan, listPlans, PlanBatchError, readPlanBatch, savePlans, setPlan } from '../kpi/plans';
import { listManagers, listPipelines, syncStatus } from '../kpi/reference';
import { staleDealsChangeAt } from '../kpi/stale';
import { daysInclusive, monthBounds } from '../kpi/time';
import { activityJson } from './activity-answer';
import { AnswerCache, type CheckedContext } from './answer-cache';
import { requireBearer } from './auth';
import { refuseOtherMethods } from './methods';
import { compressLargeJson, EncodedJson, encodeJson } from './compress';
import { editor } from './editor';
import { dateParam, idParam, jsonBody, limitParam, minDaysParam, monthParam, parseQuery, parseWith, querySchema } from './params';
import { badRequest } from './problem';
import { SingleFlight } from './single-flight';
import { staleDealsAsOf, staleDealsRows, staleRenderedRows } from './stale-answer';

export const MAX_RANGE_DAYS = 366;

const noQuery = querySchema({});
const boardQuery = querySchema({ date: dateParam.optional(), pipelineId: idParam.optional() });
const activityQuery = querySchema({ from: dateParam.optional(), to: dateParam.optional(), managerId: idParam.optional() });
const staleQuery = querySchema({ minDays: minDaysParam.optional(), managerId: idParam.optional(), pipelineId: idParam.optional(), limit: limitParam.optional() });
// pipelineId absent: the managers' overall plans, exactly as before pipeline plans existed.
const planQuery = querySchema({ pipelineId: idParam.optional() });
const plansListQuery = querySchema({ month: monthParam.optional(), pipelineId: idParam.optional() });

const PLAN_BODY = '{"amount": <non-negative integer>}';

/** The amount of a single plan PUT; refusals speak of the body's fields, not of query parameters. */
function planAmount(body: unknown): number {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`the body must be a JSON object ${PLAN_BODY}`);
  const fields = body as Record<string, unknown>;
  const extra = Object.keys(fields).filter((k) => k !== 'amount');
  if (extra.length) throw badRequest(`unknown field(s) in the body: ${extra.join(', ')} (the body is ${PLAN_BODY})`);
  if (!('amount' in fields)) throw badRequest(`amount is required: the body must be ${PLAN_BODY}`);
  const problem = amountProblem(fields.amount);
  if (problem) throw badRequest(`amount: ${problem}`);
  return fields.amount as number;
}

/** A refused batch: 400 naming the row and its manager (also as the problem's `index` and `managerId` members). */
function batchRefused(err: PlanBatchError): never {
  const extras: Record<string, number> = {};
  if (err.index !== undefined) extras.index = err.index;
  if (err.managerId !== undefined) extras.managerId = err.managerId;
  throw badRequest(`${err.message}; nothing was saved`, extras);
}

function notAfterToday(ctx: KpiContext, date: string, name = 'date'): void {
  if (date > ctx.today) throw badRequest(`${name} ${date} is after today (${ctx.today} in ${ctx.zone})`);
}

const ADMIN_NEEDED = 'plan edits need the admin token: "Authorization: Bearer <AMOKPI_ADMIN_TOKEN>"';
/** Methods that change nothing: without a token they get the generic 401. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The /api/v1 routes. Reads take the API (or admin) token; plan edits only the admin token. */
export function apiRouter(config: Config, db: Db, answers: AnswerCache): Router {
  const r = express.Router();
  const read = requireBearer([config.apiToken, config.adminToken]);
  // The same answer for no token, a wrong one and the read token: edits want the admin token, named by its variable.
  const admin = requireBearer([config.adminToken], ADMIN_NEEDED);
  // Either token, but a request that would change something and has none is told what edits need, as `admin` says.
  const anyToken = requireBearer([config.apiToken, config.adminToken], ADMIN_NEEDED);
  const ctxOf = async () => (await answers.context()).ctx;
  const flights = new SingleFlight();
  /**
   * The answer's bytes: kept from an earlier request when `keep` says it depends on nothing but the data, the day
   * and the query, and nothing was written since (AnswerCache); otherwise computed, once for identical concurrent
   * reads (same path and query string) of one generation.
   */
  const answerBytes = async (
    req: Request,
    c: CheckedContext,
    keep: boolean,
    compute: () => Promise<unknown>,
    changeAt: () => Promise<number> = async () => Infinity,
  ): Promise<Buffer> => {
    const key = `${c.ctx.zone} ${c.ctx.today} ${req.originalUrl}`;
    const kept = keep ? answers.get(key, c.generation, c.ctx.now.toMillis()) : undefined;
    if (kept !== undefined) return kept;
    const encoded = async (): Promise<[Buffer, number]> => {
      const [answer, until] = await Promise.all([compute(), keep ? changeAt() : Infinity]);
      return [answer instanceof Buffer ? answer : (answer instanceof EncodedJson ? answer : encodeJson(answer)).bytes, until];
    };
    // A check that straddled a new generation (-1) cannot tell whether another request's computation is as new as
    // its own snapshot: it computes its own.
    const [bytes, until] = c.generation < 0 ? await encoded() : await flights.run(`${c.generation} ${key}`, encoded);
    if (keep) answers.put(key, c.generation, bytes, until);
    return bytes;
  };
  const shared = async (req: Request, c: CheckedContext, keep: boolean, compute: () => Promise<unknown>) =>
    new EncodedJson(await answerBytes(req, c, keep, compute));
  const staleRendered = staleRenderedRows();
  // Before the routes: express decodes a route's path parameters while matching it, so a token checked only
  // by the route would come after a 400 for a malformed percent-escape (KPI.md: no token is 401, first).
  // Either token passes here; plan edits check for the admin token on their route as well.
  // A plan edit wants the admin token here already, so the read token hears that and not a 400 about the path.
  const planEdit = (req: Request) => /^\/plans(\/|$)/.test(req.path);
  r.use((req, res, next) => (READ_METHODS.has(req.method) ? read : planEdit(req) ? admin : anyToken)(req, res, next));
  r.use(compressLargeJson());

  r.get('/status', async (req, res) => {
    parseQuery(req, noQuery);
    res.json(await syncStatus(db, await ctxOf()));
  });

  r.get('/managers', async (req, res) => {
    parseQuery(req, noQuery);
    res.json(await listManagers(db, await ctxOf()));
  });

  r.get('/pipelines', async (req, res) => {
    parseQuery(req, noQuery);
    res.json(await listPipelines(db));
  });

  /** A board as of date D (default today, never after it), overall or for one pipeline. */
  type BoardOf = (ctx: KpiContext, date: string, pipelineId: number | null) => Promise<unknown>;
  const board = (compute: BoardOf) => async (req: Request, res: Response) => {
    const q = parseQuery(req, boardQuery);
    const c = await answers.context();
    const date = q.date ?? c.ctx.today;
    notAfterToday(c.ctx, date);
    // Today's board is as of now (its asOf, the overdue tasks); a past day's is the day's end, kept until a write.
    res.json(await shared(req, c, date < c.ctx.today, () => compute(c.ctx, date, q.pipelineId ?? null)));
  };

  r.get('/kpi/managers', board((ctx, date, pipelineId) => managersBoard(db, ctx, date, pipelineId)));

  r.get('/kpi/activity', async (req, res) => {
    const q = parseQuery(req, activityQuery);
    const c = await answers.context();
    const ctx = c.ctx;
    // KPI.md: from and to default to the current month, each on its own (not to the other date's month).
    const month = monthBounds(ctx.today);
    const from = q.from ?? month.first;
    const to = q.to ?? month.last;
    if (from > to) {
      const fromText = q.from ? from : `${from} (the default: this month's first day)`;
      const toText = q.to ? to : `${to} (the default: this month's last day)`;
      throw badRequest(`from ${fromText} is after to ${toText}`);
    }
    if (daysInclusive(from, to) > MAX_RANGE_DAYS) throw badRequest(`the range ${from}..${to} is longer than ${MAX_RANGE_DAYS} days`);
    res.json(await shared(req, c, true, async () => activityJson(await activity(db, ctx, from, to, q.managerId ?? null))));
  });

  r.get('/kpi/stale-deals', async (req, res) => {
    const q = parseQuery(req, staleQuery);
    const f = { minDays: q.minDays ?? 0, managerId: q.managerId ?? null, pipelineId: q.pipelineId ?? null, limit: q.limit ?? null };
    const c = await answers.context();
    // Kept without its asOf, the moment asked, which each answer gets anew: for the day (its days in status), and
    // until now passes a row dated after the request's now (kpi.stale_deals_change_at).
    const rows = await answerBytes(req, c, true, () => staleDealsRows(db, c.ctx, f, staleRendered), () => staleDealsChangeAt(db, c.ctx));
    res.json(staleDealsAsOf(c.ctx, rows));
  });

  r.get('/kpi/department', board((ctx, date, pipelineId) => department(db, ctx, date, pipelineId)));

  r.get('/plans', async (req, res) => {
    const q = parseQuery(req, plansListQuery);
    const ctx = await ctxOf();
    res.json(await listPlans(db, q.month ?? ctx.today.slice(0, 7), q.pipelineId ?? null));
  });

  r.put('/plans/:month/:managerId', admin, ...jsonBody('4kb'), async (req, res) => {
    const q = parseQuery(req, planQuery);
    const month = parseWith(monthParam, req.params.month, 'month');
    const managerId = parseWith(idParam, req.params.managerId, 'managerId');
    const amount = planAmount(req.body);
    res.json(await setPlan(db, { month, managerId, amount, pipelineId: q.pipelineId ?? null }, editor(req)));
  });

  // A month's plans in one request, all or nothing (an addition to KPI.md): what the plan page saves with.
  r.put('/plans/:month', admin, ...jsonBody('256kb'), async (req, res) => {
    const q = parseQuery(req, planQuery);
    const month = parseWith(monthParam, req.params.month, 'month');
    try {
      const rows = readPlanBatch(req.body);
      res.json(await savePlans(db, month, q.pipelineId ?? null, rows, editor(req)));
    } catch (err) {
      if (err instanceof PlanBatchError) batchRefused(err);
      throw err;
    }
  });

  r.delete('/plans/:month/:managerId', admin, async (req, res) => {
    const q = parseQuery(req, planQuery);
    const month = parseWith(monthParam, req.params.month, 'month');
    const managerId = parseWith(idParam, req.params.managerId, 'managerId');
    await deletePlan(db, month, managerId, editor(req), q.pipelineId ?? null);
    res.status(204).end();
  });

  // A known path with another method is a 405 (with Allow), anything else under /api/v1 a 404: both only for a caller
  // with a token, as the token is checked before the routes.
  refuseOtherMethods(r);
  return r;
}

