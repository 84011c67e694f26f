import {
  CoreApp,
  DataFrame,
  DataQueryError,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  MetricFindValue,
  ScopedVars,
  TimeRange,
  dateTimeFormat,
} from '@grafana/data';
import { TemplateSrv, getTemplateSrv } from '@grafana/runtime';

import { AmokpiClient } from './api/client';
import { AmokpiError } from './api/errors';
import {
  Manager,
  Pipeline,
  StaleDeals,
  Status,
  activitySchema,
  departmentSchema,
  managersKpiSchema,
  managersListSchema,
  pipelinesListSchema,
  staleDealsSchema,
  statusSchema,
} from './api/schemas';
import { FrameContext } from './frames/context';
import { activityFrame } from './frames/activity';
import { departmentFrames } from './frames/department';
import { managersFrame, tasksFrame } from './frames/managers';
import { staleDealsFrame } from './frames/staleDeals';
import { syncHealthFrame } from './frames/syncHealth';
import { ResolvedQuery, interpolateQuery, resolveQuery } from './interpolate';
import { migrateQuery } from './migrate';
import { describeAge } from './status';
import { AmokpiOptions, AmokpiQuery, DEFAULT_QUERY } from './types';

/** What rarely changes about the account (KPI.md): kept for the life of the data source instance. */
interface AccountInfo {
  timezone: string | null;
  currency: string | null;
}

/**
 * The server's clock as an offset from the browser's, so it keeps running in a tab left open for days. Re-read
 * at most this often: the offset is exact for a running clock, and a clock frozen by AMOKPI_NOW drifts by no more.
 */
const CLOCK_MAX_AGE_MS = 60_000;

export class DataSource extends DataSourceApi<AmokpiQuery, AmokpiOptions> {
  readonly api: AmokpiClient;
  private account?: Promise<AccountInfo>;
  /** serverNow − Date.now() (null: the server gave no "now"), and when (browser clock) it was measured. */
  private clock?: { offset: number | null; measuredAt: number };
  private clockReading?: Promise<Status>;

  constructor(
    instanceSettings: DataSourceInstanceSettings<AmokpiOptions>,
    private readonly templateSrv: TemplateSrv = getTemplateSrv()
  ) {
    super(instanceSettings);
    // instanceSettings.url is the data-proxy URL; plugin.json's route forwards it to jsonData.url with the token.
    this.api = new AmokpiClient(instanceSettings.url ?? '');
  }

  getDefaultQuery(_app: CoreApp): Partial<AmokpiQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: AmokpiQuery): boolean {
    return !query.hide;
  }

  async query(request: DataQueryRequest<AmokpiQuery>): Promise<DataQueryResponse> {
    const targets = request.targets.map((t) => migrateQuery(t)).filter((t) => this.filterQuery(t));
    const results = await Promise.allSettled(targets.map((t) => this.runQuery(t, request)));
    const data: DataFrame[] = [];
    const errors: DataQueryError[] = [];
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        data.push(...result.value);
      } else {
        const err = result.reason;
        errors.push({
          refId: targets[i].refId,
          message: err instanceof Error ? err.message : String(err),
          status: err instanceof AmokpiError ? err.status : undefined,
        });
      }
    });
    return errors.length ? { data, errors } : { data };
  }

  private async runQuery(query: AmokpiQuery, request: DataQueryRequest<AmokpiQuery>): Promise<DataFrame[]> {
    const q = resolveQuery(query, this.templateSrv, request.scopedVars);
    const ctx: FrameContext = { refId: query.refId, managerIds: q.managerIds };
    // The API filters activity by one manager; several are filtered here instead.
    const managerId = q.managerIds?.length === 1 ? q.managerIds[0] : undefined;
    switch (query.queryType) {
      case 'managers':
      case 'tasks': {
        const [kpi, account] = await Promise.all([
          this.api.get('/api/v1/kpi/managers', { date: q.date ?? (await this.asOfDate(request)), pipelineId: q.pipelineId }, managersKpiSchema),
          this.accountInfo(),
        ]);
        const context = { ...ctx, currency: account?.currency };
        return [query.queryType === 'managers' ? managersFrame(kpi, context) : tasksFrame(kpi, context)];
      }
      case 'activity': {
        const timeZone = await this.timeZone(request);
        const kpi = await this.api.get(
          '/api/v1/kpi/activity',
          { from: this.day(request.range.from, timeZone), to: this.day(request.range.to, timeZone), managerId },
          activitySchema
        );
        return [activityFrame(kpi, { ...ctx, timezone: timeZone })];
      }
      case 'staleDeals': {
        const [kpi, account] = await Promise.all([this.staleDeals(q), this.accountInfo()]);
        return [staleDealsFrame(kpi, { ...ctx, currency: account?.currency })];
      }
      case 'department': {
        const [kpi, account] = await Promise.all([
          this.api.get('/api/v1/kpi/department', { date: q.date ?? (await this.asOfDate(request)), pipelineId: q.pipelineId }, departmentSchema),
          this.accountInfo(),
        ]);
        return departmentFrames(kpi, { ...ctx, currency: account?.currency });
      }
      case 'syncHealth':
        return [syncHealthFrame(await this.status(), ctx)];
      default:
        throw new AmokpiError(`Unknown query type "${String(query.queryType)}": choose one in the query editor.`, 'input');
    }
  }

  /**
   * Stuck deals in the API's order (days in stage descending, then lead id). The API filters by one manager
   * and cuts to `limit` after its filters; with several managers and a limit, each one's longest-stuck N are
   * asked for and merged, so a wall TV showing N rows never downloads every open deal of the account.
   */
  private async staleDeals(q: ResolvedQuery): Promise<StaleDeals> {
    const ask = (managerId: number | undefined, limit: number | undefined) =>
      this.api.get('/api/v1/kpi/stale-deals', { minDays: q.minDays, managerId, pipelineId: q.pipelineId, limit }, staleDealsSchema);
    const managerIds = q.managerIds && [...new Set(q.managerIds)];
    if (!managerIds || managerIds.length === 1) {
      return ask(managerIds?.[0], q.limit);
    }
    if (q.limit === undefined) {
      return ask(undefined, undefined); // every row; the frame keeps the chosen managers' ones
    }
    const limit = q.limit;
    const parts = await Promise.all(managerIds.map((id) => ask(id, limit)));
    const rows = parts
      .flatMap((p) => p.rows)
      .sort((a, b) => b.daysInStatus - a.daysInStatus || a.leadId - b.leadId)
      .slice(0, limit);
    return { asOf: parts[0].asOf, rows };
  }

  /** "As of" when the query leaves the date empty: the end of the dashboard range, as a day in the account zone. */
  private async asOfDate(request: DataQueryRequest<AmokpiQuery>): Promise<string | undefined> {
    // A range ending now or later ("today", "this month") means today, and the server knows today
    // best (its clock may be frozen by AMOKPI_NOW); it refuses dates after it. "now", "now/d", "now/M"…
    // end now or later whatever the clocks say.
    const rawTo = request.range.raw.to;
    if (typeof rawTo === 'string' && /^now(\/\w+)?$/.test(rawTo.trim())) {
      return undefined;
    }
    const account = await this.accountInfo();
    const now = Math.min(Date.now(), (await this.serverNow()) ?? Infinity);
    if (request.range.to.valueOf() >= now) {
      return undefined;
    }
    return this.day(request.range.to, account?.timezone ?? request.timezone ?? 'browser');
  }

  private day(instant: TimeRange['from'], timeZone: string): string {
    return dateTimeFormat(instant, { format: 'YYYY-MM-DD', timeZone });
  }

  /** Days are calendar days in the account's zone (KPI.md); the dashboard's zone is the fallback. */
  private async timeZone(request: DataQueryRequest<AmokpiQuery>): Promise<string> {
    return (await this.accountInfo())?.timezone ?? request.timezone ?? 'browser';
  }

  /** GET /status; every answer also re-measures the server clock (see serverNow). */
  async status(): Promise<Status> {
    const sent = Date.now();
    const status = await this.api.get('/api/v1/status', {}, statusSchema);
    const received = Date.now();
    // The server read its clock somewhere between sending and receiving: take the middle.
    const local = (sent + received) / 2;
    const serverNow = status.now;
    this.clock = { offset: serverNow !== null && Number.isFinite(serverNow) ? serverNow - local : null, measuredAt: received };
    return status;
  }

  /**
   * Zone and currency change rarely: ask once per data source instance, retry after a failure. Only these
   * are kept; the server's "now" in the same answer is not (serverNow keeps it running instead).
   */
  private async accountInfo(): Promise<AccountInfo | undefined> {
    this.account ??= this.status().then(accountOf);
    try {
      return await this.account;
    } catch {
      this.account = undefined;
      return undefined;
    }
  }

  /**
   * The server's "now" (epoch ms) as of this moment: the browser clock plus the offset measured at the last
   * /status, re-read when that is older than CLOCK_MAX_AGE_MS. Undefined when the server gives no "now" or
   * was never reached.
   */
  private async serverNow(): Promise<number | undefined> {
    if (!this.clock || Date.now() - this.clock.measuredAt > CLOCK_MAX_AGE_MS) {
      this.clockReading ??= this.status().finally(() => (this.clockReading = undefined));
      try {
        await this.clockReading;
      } catch {
        // Unreachable just now: the last offset (if any) still holds for a running clock.
      }
    }
    const offset = this.clock?.offset;
    return offset === null || offset === undefined ? undefined : Date.now() + offset;
  }

  /** "$name" of every dashboard variable, offered in the editor's manager and pipeline pickers. */
  variableNames(): string[] {
    return this.templateSrv.getVariables().map((v) => `$${v.name}`);
  }

  getManagers(): Promise<Manager[]> {
    return this.api.get('/api/v1/managers', {}, managersListSchema);
  }

  getPipelines(): Promise<Pipeline[]> {
    return this.api.get('/api/v1/pipelines', {}, pipelinesListSchema);
  }

  /** Dashboard variables: a query variable whose query is "managers" or "pipelines" (value = id, text = name). */
  async metricFindQuery(query: string | { query?: string }): Promise<MetricFindValue[]> {
    const text = (typeof query === 'string' ? query : (query?.query ?? '')).trim().toLowerCase();
    if (text === 'managers') {
      return (await this.getManagers()).map((m) => ({ text: m.name ?? `#${m.id}`, value: String(m.id) }));
    }
    if (text === 'pipelines') {
      return (await this.getPipelines()).map((p) => ({ text: p.name, value: String(p.id) }));
    }
    throw new AmokpiError(`Variable query "${text}" is not known: use "managers" or "pipelines".`, 'input');
  }

  interpolateVariablesInQueries(queries: AmokpiQuery[], scopedVars: ScopedVars): AmokpiQuery[] {
    return queries.map((q) => interpolateQuery(migrateQuery(q), this.templateSrv, scopedVars));
  }

  async testDatasource() {
    try {
      const status = await this.status();
      this.account = Promise.resolve(accountOf(status));
      return { status: 'success', message: `Connected to amokpi: ${describeAge(status.lagSeconds)}.` };
    } catch (err) {
      return { status: 'error', message: err instanceof Error ? err.message : String(err) };
    }
  }
}

function accountOf(status: Status): AccountInfo {
  return { timezone: status.timezone, currency: status.currency };
}
