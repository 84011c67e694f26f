import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startSimulator } from '../src/simulator';
import { createAmoClient, DEFAULT_RPS } from '../src/amocrm/client';
import { longLivedAuth } from '../src/amocrm/auth';
import { createLogger, setLogger } from '../src/log';

/**
 * `npm run bench -- client [--leads N] [--rps R] [--seed S] [--errors RATE] [--latency MS] [--no-limit]`
 *
 * Starts the simulator (7 requests/second per token, like amoCRM), walks every list a sync reads —
 * concurrently, through one client — and prints requests made vs the minimum the dataset needs, the achieved
 * rate vs the limit, and the simulator's own count of the busiest 1-second window. `--no-limit` walks with
 * the limiter disabled, to show what the simulator does to a client that does not pace itself.
 */
const item = z.looseObject({ id: z.union([z.number(), z.string()]) });

interface Stream {
  path: string;
  query: Record<string, string | number>;
  embedded: string;
  limit: number;
  rows: number;
}

export default async function bench(args: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args,
    options: {
      leads: { type: 'string', default: '3000' },
      rps: { type: 'string', default: String(DEFAULT_RPS) },
      seed: { type: 'string', default: '1' },
      errors: { type: 'string', default: '0' },
      latency: { type: 'string', default: '0' },
      'no-limit': { type: 'boolean', default: false },
    },
  });
  setLogger(createLogger({ level: 'error', pretty: false }));
  const rps = o['no-limit'] ? 0 : Number(o.rps);
  const token = 'bench-long-lived-token';
  const sim = await startSimulator({
    seed: Number(o.seed),
    token,
    size: { leads: Number(o.leads) },
    rps: 7,
    faults: { errorRate: Number(o.errors), latencyMs: Number(o.latency) },
  });
  try {
    const d = sim.dataset();
    const streams: Stream[] = [
      { path: '/api/v4/users', query: {}, embedded: 'users', limit: 250, rows: d.users.length },
      { path: '/api/v4/leads', query: {}, embedded: 'leads', limit: 250, rows: d.leads.length },
      { path: '/api/v4/leads', query: { with: 'only_deleted' }, embedded: 'leads', limit: 250, rows: d.deletedLeads.length },
      { path: '/api/v4/tasks', query: {}, embedded: 'tasks', limit: 250, rows: d.tasks.length },
      { path: '/api/v4/events', query: {}, embedded: 'events', limit: 100, rows: d.events.length },
      { path: '/api/v4/leads/notes', query: {}, embedded: 'notes', limit: 250, rows: d.leadNotes.length },
      { path: '/api/v4/contacts/notes', query: {}, embedded: 'notes', limit: 250, rows: d.contactNotes.length },
    ];
    // One request per page; a list with no rows still costs its (204) request. Account and pipelines: 1 each.
    const minimum = 2 + streams.reduce((n, s) => n + Math.max(1, Math.ceil(s.rows / s.limit)), 0);

    const client = createAmoClient({ baseUrl: sim.url, auth: longLivedAuth(token), rps, maxRetries: 10 });
    const started = performance.now();
    const fetched = await Promise.all([
      client.get('/api/v4/account', { with: 'datetime_settings' }).then(() => 1),
      client.get('/api/v4/leads/pipelines').then(() => 1),
      ...streams.map(async (s) => {
        let n = 0;
        for await (const page of client.pages(s.path, { ...s.query, limit: s.limit }, { embedded: s.embedded, item, entity: s.embedded })) n += page.length;
        if (n !== s.rows) throw new Error(`${s.path}: walked ${n} rows, the dataset has ${s.rows}`);
        return n;
      }),
    ]);
    const seconds = (performance.now() - started) / 1000;
    await client.close();

    const c = client.stats();
    const s = sim.stats();
    const achieved = c.requests / seconds;
    const limitLabel = rps === 0 ? 'none (limiter disabled)' : `${rps} req/s`;
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    const out = [
      `dataset: seed ${o.seed}, ${d.leads.length} leads, ${d.tasks.length} tasks, ${d.events.length} events, ${d.leadNotes.length + d.contactNotes.length} call notes; ${fetched.reduce((a, b) => a + b, 0)} rows walked`,
      `requests made: ${c.requests} (simulator saw ${s.total}); minimum needed: ${minimum} → ${pct(c.requests / minimum)} of the minimum`,
      `  of which retried after 5xx/network: ${c.retried}, answered 429: ${c.throttled}`,
      `walk time: ${seconds.toFixed(1)} s`,
      `achieved: ${achieved.toFixed(2)} req/s; limit ${limitLabel}${rps ? ` → ${pct(achieved / rps)} of the limit` : ''}; useful (minimum/time): ${(minimum / seconds).toFixed(2)} req/s`,
      `busiest 1-second window at the simulator (sliding): ${s.maxPerSecond} requests (${s.maxAcceptedPerSecond} accepted)`,
      rps
        ? `any second over the limit (${rps}): ${s.maxPerSecond > Math.floor(rps) ? `YES (${s.maxPerSecond})` : 'no (0 seconds)'}`
        : `simulator limit is 7: ${s.maxPerSecond > 7 ? `exceeded (${s.maxPerSecond} in one second; ${s.throttled} answered 429)` : 'not exceeded'}`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await sim.close();
  }
}
