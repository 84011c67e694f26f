#!/usr/bin/env -S node --max-old-space-size=256
// The heap ceiling: V8 sizes its heap from the machine's memory (4 GB on a 24 GB box) and lets garbage pile up
// to match, so a full sync's peak RSS grew with the account (173 MB at 10 000 leads, 210 MB at 50 000) although
// its live data stays ~30 MB. Under a 256 MB ceiling V8 collects sooner: ~135 MB at 50 000 leads, the same
// wall time. `npm run bench -- sync` runs its sync process with the flags of this line.
// Runs the TypeScript sources directly (tsx) so `npx amokpi` works right after `npm install`, no build step.
require('tsx/cjs/api').register();
require('../src/cli/main.ts').main(process.argv).catch((err) => {
  process.stderr.write(`amokpi: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
