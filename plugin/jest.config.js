// Force UTC so date-dependent assertions hold regardless of the machine's zone.
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
// d3-color >= 3.1.1 ships .mjs entry points; the scaffold's transform regex skips them (reference §3 fix 3).
const swc = Object.values(base.transform)[0];

module.exports = {
  ...base,
  transform: { '^.+\\.m?(t|j)sx?$': swc },
  // Host and browser tests live outside src/ (they exercise dist/ and a real server, not the sources).
  testMatch: [...base.testMatch, '<rootDir>/tests/**/*.test.{ts,tsx}'],
  testTimeout: 20000,
};
