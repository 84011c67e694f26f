#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx) so `npx amokpi` works right after `npm install`, no build step.
require('tsx/cjs/api').register();
require('../src/cli/main.ts').main(process.argv).catch((err) => {
  process.stderr.write(`amokpi: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
