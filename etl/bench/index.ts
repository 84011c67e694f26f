import fs from 'node:fs';
import path from 'node:path';

/**
 * `npm run bench -- <name> [args]` runs bench/<name>.ts, whose default export receives the remaining
 * arguments. Benchmarks print figures; they never assert timings.
 */
async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const available = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'))
    .map((f) => f.replace(/\.ts$/, ''));
  if (!name || !available.includes(name)) {
    process.stderr.write(`usage: npm run bench -- <${available.join('|') || 'name'}> [options]\n`);
    process.exit(name ? 2 : 0);
  }
  const mod = (await import(path.join(__dirname, `${name}.ts`))) as { default: (args: string[]) => Promise<void> };
  await mod.default(args);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
