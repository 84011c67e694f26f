import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';

const ETL = path.resolve(__dirname, '../..');
const BIN = path.join(ETL, 'bin/amokpi.js');

/** Runs the CLI as `npm run demo` at `root` does: etl's script, started by npm in etl/, with INIT_CWD = root. */
function asNpmScript(root: string, args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, INIT_CWD: root, npm_lifecycle_event: 'demo', npm_lifecycle_script: `bin/amokpi.js ${args.join(' ')}`, LOG_LEVEL: 'warn', ...extra };
  for (const k of ['DATABASE_URL', 'AMOKPI_DATA_DIR', 'AMOKPI_SYNC_CRON', 'AMOCRM_BASE_URL', 'AMOCRM_ACCESS_TOKEN']) if (!(k in extra)) delete env[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ETL, env, timeout: 60_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

describe('run through the workspace script (npm run demo at the repository root)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'amokpi-root-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads .env from the directory npm was started in, not from etl/', async () => {
    fs.writeFileSync(path.join(root, '.env'), 'AMOKPI_SYNC_CRON=a b c d e\n');
    const r = await asNpmScript(root, ['run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^amokpi: AMOKPI_SYNC_CRON: is not a valid cron expression/);
    fs.rmSync(path.join(root, '.env'));
  });

  it('keeps the default data dir (.amokpi) there too', async () => {
    const r = await asNpmScript(root, ['migrate']);
    expect(r).toEqual({ code: 0, stderr: '' });
    expect(fs.existsSync(path.join(root, '.amokpi', 'pg', 'PG_VERSION'))).toBe(true);
  });
});
