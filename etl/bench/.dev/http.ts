import { DateTime } from 'luxon';
import { Pool } from 'undici';
import { pgp } from '../../src/db';
import { startServer } from '../../src/api/server';
import { loadConfig } from '../../src/config';
import { activity } from '../../src/kpi/activity';
import { loadKpiContext } from '../../src/kpi/context';
import { department } from '../../src/kpi/department';
import { managersBoard } from '../../src/kpi/managers';
import { staleDeals } from '../../src/kpi/stale';
import { monthBounds } from '../../src/kpi/time';
import { createLogger, setLogger } from '../../src/log';
import { time, ms } from '../../bench/_support';
setLogger(createLogger({ level: 'warn' }));
const TOKEN = 'bench-read-token';
const only = process.argv[2];
(async () => {
  const db = pgp({ connectionString: 'postgres://postgres@127.0.0.1:55432/bench', max: 20 });
  const config = loadConfig({ AMOKPI_API_TOKEN: TOKEN, AMOKPI_ADMIN_TOKEN: 'bench-admin-token', AMOKPI_PORT: '0', LOG_LEVEL: 'warn' });
  const server = await startServer({ config, db });
  const ctx0 = await loadKpiContext(db, config);
  const month = monthBounds(ctx0.today);
  const ctx = () => loadKpiContext(db, config);
  const cases = [
    { name: 'managers', path: '/api/v1/kpi/managers', direct: async () => managersBoard(db, await ctx(), ctx0.today, null) },
    { name: 'department', path: '/api/v1/kpi/department', direct: async () => department(db, await ctx(), ctx0.today, null) },
    { name: 'activity', path: '/api/v1/kpi/activity', direct: async () => activity(db, await ctx(), month.first, month.last, null) },
    { name: 'stale30', path: '/api/v1/kpi/stale-deals?minDays=30', direct: async () => staleDeals(db, await ctx(), { minDays: 30, managerId: null, pipelineId: null }) },
  ].filter((c) => !only || c.name === only);
  const pool = new Pool(server.url, { connections: 8 });
  const get = async (path: string) => {
    const r = await pool.request({ method: 'GET', path, headers: { authorization: `Bearer ${TOKEN}` } });
    const body = Buffer.from(await r.body.arrayBuffer());
    if (r.statusCode !== 200) throw new Error(String(r.statusCode));
    return body;
  };
  for (const c of cases) {
    const http = await time(() => get(c.path), 40);
    const direct = await time(() => c.direct(), 40);
    console.log(c.name.padEnd(12), ms(http.p50), ms(http.p95), ms(direct.p50), ms(direct.p95), (http.p50 / direct.p50).toFixed(2), (http.p95 / direct.p95).toFixed(2));
  }
  await pool.close();
  await server.close();
  await pgp.end();
})();
