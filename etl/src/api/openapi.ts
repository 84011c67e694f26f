/** The OpenAPI 3.1 document of the KPI API; test/api/openapi.test.ts keeps it and the routes in step. */
import { BATCH_BODY_SHAPE, MAX_AMOUNT, MAX_BATCH_ROWS } from '../kpi/plans';
import { FIRST_DATE, FIRST_MONTH } from '../kpi/time';
import { MAX_LIMIT, MAX_MIN_DAYS } from './params';

const problem = { description: 'problem+json', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const serverError = { '500': { ...problem, description: 'the server failed (its log says why); nothing changed' } };
/** Answers that do not depend on the operation, described once in components.responses. */
const shared = {
  NotFound: { ...problem, description: 'no route: a path parameter holding a "/" (or an extra segment) makes a path this document does not have' },
  MethodNotAllowed: {
    ...problem,
    description: 'the path exists but not with this method (after the token check under /api/v1); the Allow header lists its methods, and OPTIONS is 204 with Allow',
    headers: { Allow: { schema: { type: 'string' }, description: 'the methods of the path, e.g. "GET, HEAD"' } },
  },
  UnsupportedMediaType: { ...problem, description: 'not Content-Type: application/json, a charset other than UTF-8 or an unsupported Content-Encoding (nothing changed)' },
  RequestHeaderFieldsTooLarge: { ...problem, description: 'the request line and headers are over 16 KB (usually a URL that long); the connection is closed' },
};
const ref = (name: keyof typeof shared) => ({ $ref: `#/components/responses/${name}` });
/** Any path of the document: another method, or a request too long for the server to read. */
const anyRequest = { '405': ref('MethodNotAllowed'), '431': ref('RequestHeaderFieldsTooLarge') };
/** Every /api/v1 operation: bad input, no or a wrong token, a failure of the server. */
const errors = { '400': { ...problem, description: 'bad input (nothing changed)' }, '401': { ...problem, description: 'missing or wrong token' }, ...anyRequest, ...serverError };
/** Plan edits: only the admin token, and paths built from parameters. */
const editErrors = { ...errors, '401': { ...problem, description: 'missing or wrong token, or not the admin token' }, '404': ref('NotFound') };
/** Operations with a JSON body also refuse bodies over their size and bodies they cannot decode. */
const bodyErrors = (limit: string) => ({
  ...editErrors,
  '413': { ...problem, description: `the body is over ${limit} (nothing changed)` },
  '415': ref('UnsupportedMediaType'),
});
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const q = (name: string, schema: object, description: string) => ({ name, in: 'query', required: false, schema, description });
const p = (name: string, schema: object) => ({ name, in: 'path', required: true, schema });

const date = { type: 'string', format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', example: '2026-11-27', description: `a real calendar date from ${FIRST_DATE} (CRM data is not older) to 9999-12-31` };
/** A board's date: a board of a day that has not come yet has no figures, so it stops at today. */
const boardDate = { ...date, description: `a real calendar date from ${FIRST_DATE} (CRM data is not older) to today in the account's time zone; a later date is 400` };
const month = { type: 'string', pattern: '^\\d{4}-\\d{2}$', example: '2026-11', description: `a month from ${FIRST_MONTH} to 9999-12` };
const amount = { type: 'integer', minimum: 0, maximum: MAX_AMOUNT };
const id = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };
const num = { type: 'number' };
const nnum = { type: ['number', 'null'] };
const str = { type: 'string' };
const nstr = { type: ['string', 'null'] };
/** Who edits, recorded in the audit trail (api:<name>; api:admin-token without it). */
const editorHeader = { name: 'X-Amokpi-User', in: 'header', required: false, schema: str, description: 'who edits, for the audit trail' };
const obj = (properties: Record<string, object>) => ({ type: 'object', required: Object.keys(properties), properties });
const arr = (items: object) => ({ type: 'array', items });

const departmentDay = obj({
  date: str, asOf: str, source: { enum: ['live', 'snapshot', 'reconstructed'] }, wonAmount: num, wonCount: num, avgWonAmount: nnum,
  inProgressAmount: num, inProgressCount: num, planAmount: nnum, planRemainder: nnum,
});
const changeItem = obj({ abs: nnum, pct: nnum });
/** Plans are the manager's overall plan unless a pipeline is named; a pipeline's rows also carry pipelineId. */
const planPipeline = q('pipelineId', id, "that pipeline's plan instead of the manager's overall plan (400 for an unknown pipeline)");
const planFields = { month: str, managerId: id, managerName: nstr, amount: num };
const planRow = { ...obj(planFields), properties: { ...planFields, pipelineId: { ...id, description: "only on a pipeline's plan" } } };

export const openapi = {
  openapi: '3.1.0',
  info: { title: 'amokpi KPI API', version: '1.0.0', description: 'Sales KPIs computed from an amoCRM copy; definitions in README.md' },
  components: {
    responses: shared,
    securitySchemes: { read: { type: 'http', scheme: 'bearer', description: 'AMOKPI_API_TOKEN (or the admin token)' }, admin: { type: 'http', scheme: 'bearer', description: 'AMOKPI_ADMIN_TOKEN' } },
    schemas: {
      Problem: {
        ...obj({ type: str, title: { ...str, description: "the status's standard reason phrase" }, status: { type: 'integer' }, detail: str }),
        description: 'RFC 9457 problem details; a refused batch row adds index and managerId. A known path asked with another method is 405 with an Allow header.',
      },
    },
  },
  security: [{ read: [] }],
  paths: {
    '/healthz': {
      get: {
        security: [], summary: 'liveness probe',
        responses: { '200': json(obj({ status: { const: 'ok' } })), '503': json(obj({ status: { const: 'database unavailable' } }), 'the database does not answer') },
      },
    },
    '/healthz/answers': {
      get: {
        security: [],
        summary: 'the answers this API process keeps until the data under them is written (AMOKPI_ANSWER_CACHE_MB); generation counts the writes it has seen',
        responses: { '200': json(obj({ answers: num, bytes: num, generation: num, hits: num, misses: num })), ...anyRequest },
      },
    },
    '/api/v1/openapi.json': { get: { security: [], summary: 'this document', responses: { '200': json({ type: 'object' }), ...anyRequest } } },
    '/api/v1/status': {
      get: {
        summary: 'last sync per stream and data lag',
        responses: {
          '200': json(obj({
            now: str, timezone: str, currency: nstr, dataLagSeconds: nnum, lastSuccessAt: nstr,
            streams: arr(obj({ stream: str, mode: str, startedAt: str, finishedAt: nstr, rows: num, upserted: num, deleted: num, requests: num, error: nstr, lastSuccessAt: nstr })),
          })),
          ...errors,
        },
      },
    },
    '/api/v1/managers': { get: { summary: 'managers for template variables', responses: { '200': json(arr(obj({ id, name: str, isActive: { type: 'boolean' } }))), ...errors } } },
    '/api/v1/pipelines': {
      get: { summary: 'pipelines and their statuses', responses: { '200': json(arr(obj({ id, name: str, statuses: arr(obj({ id, name: str, type: { type: 'integer' } })) }))), ...errors } },
    },
    '/api/v1/kpi/managers': {
      get: {
        summary: 'per-manager board as of date D',
        parameters: [q('date', boardDate, 'defaults to today in the account zone'), q('pipelineId', id, "only leads in this pipeline; plan figures come from that pipeline's plans (null without one)")],
        responses: {
          '200': json(obj({
            date: str, periodStart: str, asOf: str, timezone: str, currency: nstr, bands: obj({ red: num, green: num }),
            source: { enum: ['live', 'snapshot', 'reconstructed'] },
            rows: arr(obj({
              managerId: id, managerName: nstr, planAmount: nnum, wonAmount: num, wonCount: num, completionPct: nnum,
              band: { enum: ['red', 'yellow', 'green', null] }, planRemainder: nnum, openTasks: nnum, overdueTasks: nnum, leadsWithoutTasks: nnum,
            })),
          })),
          ...errors,
        },
      },
    },
    '/api/v1/kpi/activity': {
      get: {
        summary: 'activity per manager per day (zero-filled)',
        parameters: [
          q('from', date, "defaults to the current month's first day (also when only to is given)"),
          q('to', date, "defaults to the current month's last day (also when only from is given); may be after today; at most 366 days from from"),
          q('managerId', id, 'one manager'),
        ],
        responses: {
          '200': json(obj({ timezone: str, messageMinutes: num, rows: arr(obj({ date: str, managerId: id, managerName: nstr, callMinutes: num, messages: num, activityMinutes: num })) })),
          ...errors,
        },
      },
    },
    '/api/v1/kpi/stale-deals': {
      get: {
        summary: 'active leads by days in their current stage',
        parameters: [
          q('minDays', { type: 'integer', minimum: 0, maximum: MAX_MIN_DAYS }, 'defaults to 0'), q('managerId', id, 'one manager'), q('pipelineId', id, 'one pipeline'),
          q('limit', { type: 'integer', minimum: 1, maximum: MAX_LIMIT }, 'at most this many rows, the longest-stuck first (a TV shows a screenful, not every open deal); all rows when absent'),
        ],
        responses: {
          '200': json(obj({
            asOf: str,
            rows: arr(obj({
              leadId: id, leadName: nstr, managerId: nnum, managerName: nstr, pipelineId: num, pipelineName: nstr, statusId: num, statusName: nstr,
              price: num, daysInStatus: num, enteredAt: nstr, url: nstr,
            })),
          })),
          ...errors,
        },
      },
    },
    '/api/v1/kpi/department': {
      get: {
        summary: 'department figures for D compared with D minus one month (clamped)',
        parameters: [q('date', boardDate, 'defaults to today'), q('pipelineId', id, "only leads in this pipeline; plan figures come from that pipeline's plans (null without one)")],
        responses: {
          '200': json(obj({
            current: departmentDay, previous: departmentDay,
            change: obj(Object.fromEntries(['wonAmount', 'wonCount', 'avgWonAmount', 'inProgressAmount', 'inProgressCount', 'planAmount', 'planRemainder'].map((k) => [k, changeItem]))),
          })),
          ...errors,
        },
      },
    },
    '/api/v1/plans': {
      get: {
        summary: "a month's plans",
        parameters: [q('month', month, 'defaults to the current month'), planPipeline],
        responses: { '200': json(arr(planRow)), ...errors },
      },
    },
    '/api/v1/plans/{month}': {
      put: {
        security: [{ admin: [] }],
        summary: "save a month's plans all or nothing (audited; an addition to KPI.md, what /admin/plans saves with)",
        description:
          'Every row is checked (amount, known manager, one row per manager) before anything is written; then all are written in one ' +
          'transaction, each audited like the single PUT and DELETE. A refused row is a 400 naming it (plans[i], its manager) that ' +
          `saves nothing; the problem also carries index and managerId. At most ${MAX_BATCH_ROWS} rows. Body: ${BATCH_BODY_SHAPE}.`,
        parameters: [p('month', month), planPipeline, editorHeader],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: obj({ plans: { ...arr(obj({ managerId: id, amount: { ...amount, type: ['integer', 'null'], description: 'null deletes the plan' } })), maxItems: MAX_BATCH_ROWS } }),
              example: { plans: [{ managerId: 101, amount: 1 }] },
            },
          },
        },
        responses: {
          '200': json(
            { ...obj({ month: str, set: num, deleted: num, plans: arr(planRow) }), properties: { month: str, set: num, deleted: num, plans: arr(planRow), pipelineId: { ...id, description: "only on a pipeline's plans" } } },
            'saved: how many rows set and deleted a plan, and the month\'s plans now',
          ),
          ...bodyErrors('256 kB'),
        },
      },
    },
    '/api/v1/plans/{month}/{managerId}': {
      put: {
        security: [{ admin: [] }],
        summary: 'set a plan (audited)',
        parameters: [p('month', month), p('managerId', id), planPipeline, editorHeader],
        requestBody: { required: true, content: { 'application/json': { schema: obj({ amount }), example: { amount: 1 } } } },
        responses: { '200': json(planRow), ...bodyErrors('4 kB') },
      },
      delete: {
        security: [{ admin: [] }],
        summary: 'delete a plan (audited)',
        parameters: [p('month', month), p('managerId', id), planPipeline, editorHeader],
        responses: { '204': { description: 'deleted (or there was none)' }, ...editErrors },
      },
    },
    '/admin/plans': { get: { security: [], summary: 'plan editor page (HTML; data is loaded with the admin token)', responses: { '200': { description: 'HTML', content: { 'text/html': {} } }, ...anyRequest } } },
  },
} as const;
