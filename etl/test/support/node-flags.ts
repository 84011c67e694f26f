import fs from 'node:fs';

/** The node flags of an executable's `#!/usr/bin/env -S node <flags>` line: a child run like the CLI gets them too. */
export function nodeFlagsOf(file: string): string[] {
  const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env(?: -S)? node(.*)$/.exec(first);
  if (!m) throw new Error(`${file}: no "#!/usr/bin/env node" line`);
  return m[1]!.trim().split(/\s+/).filter(Boolean);
}
