import { spawn } from 'node:child_process';
import { Pool } from 'undici';
import { time, ms } from '../_support';
const TOKEN = 'bench-read-token';
(async () => {
  const child = spawn(process.execPath, ['bin/amokpi.js', 'serve'], { env: { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:55432/bench', AMOKPI_API_TOKEN: TOKEN, AMOKPI_ADMIN_TOKEN: 'bench-admin-token', AMOKPI_PORT: '18099', LOG_LEVEL: 'warn' }, stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 4000));
  const pool = new Pool('http://127.0.0.1:18099', { connections: 8 });
  const get = async (path: string) => {
    const r = await pool.request({ method: 'GET', path, headers: { authorization: `Bearer ${TOKEN}` } });
    const body = Buffer.from(await r.body.arrayBuffer());
    if (r.statusCode !== 200) throw new Error(String(r.statusCode) + body);
    return body;
  };
  for (const p of ['/api/v1/kpi/managers', '/api/v1/kpi/department', '/api/v1/kpi/activity', '/api/v1/kpi/stale-deals?minDays=30']) {
    const http = await time(() => get(p), 40);
    console.log(p.padEnd(40), ms(http.p50), ms(http.p95));
  }
  await pool.close();
  child.kill('SIGTERM');
})();
