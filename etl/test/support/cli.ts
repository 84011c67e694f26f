import path from 'node:path';
import { execFile } from 'node:child_process';

const BIN = path.resolve(__dirname, '../../bin/amokpi.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI like a user would (no DATABASE_URL from the test run unless given), killed after timeoutMs. */
export function cli(args: string[], env: Record<string, string | undefined>, timeoutMs = 20_000, cwd?: string): Promise<CliResult> {
  const full: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...env };
  delete full.DATABASE_URL;
  if (env.DATABASE_URL) full.DATABASE_URL = env.DATABASE_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: full, timeout: timeoutMs, killSignal: 'SIGKILL', cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** The one line a bad setting must produce: exit 2, "amokpi: NAME: ..." and nothing else. */
export function expectOneLine(r: CliResult, name: string, re: RegExp): void {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(new RegExp(`^amokpi: ${name}: `)) });
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(re);
}
