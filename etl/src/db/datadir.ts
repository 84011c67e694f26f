import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'cannot be created there',
  ENOTDIR: 'a part of the path is a file',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}: ${REASONS[code] ?? (err as Error).message}` : String(err);
}

/**
 * Creates `dir` when missing and checks that this process can write in it; else one line naming the setting.
 * Made one level at a time: Node's recursive mkdir spins for ever under /proc (AMOKPI_DATA_DIR=/proc/x hung).
 */
export function ensureWritableDir(dir: string, setting = 'AMOKPI_DATA_DIR'): string {
  const abs = path.resolve(dir);
  const fix = `set ${setting} to a directory this user can write to`;
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`${setting}: cannot use ${abs} (${why(err)}); ${fix}`);
    }
    if (st) {
      if (!st.isDirectory()) throw new ConfigError(`${setting}: ${p} is a file, not a directory; ${fix}`);
      break;
    }
    missing.unshift(p);
    const parent = path.dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const m of missing) {
    try {
      fs.mkdirSync(m);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new ConfigError(`${setting}: cannot create ${abs} (${why(err)}); ${fix}`);
    }
  }
  const probe = path.join(abs, `.amokpi-write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (err) {
    throw new ConfigError(`${setting}: cannot write in ${abs} (${why(err)}); ${fix}`);
  }
  return abs;
}
