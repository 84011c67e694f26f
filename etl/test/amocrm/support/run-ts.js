// Runs a TypeScript file in THIS process (tsx's in-process hook), so that the child's pid is the one a test kills.
require('tsx/cjs/api').register();
require(require('node:path').resolve(process.argv[2]));
