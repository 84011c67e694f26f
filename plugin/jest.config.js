// Force UTC so date-dependent assertions hold regardless of the machine's zone.
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
// d3-color >= 3.1.1 ships .mjs entry points; the scaffold's transform regex skips them (reference §3 fix 3).
const swc = Object.values(base.transform)[0];
const transform = { '^.+\\.m?(t|j)sx?$': swc };

// tests/react19 has its own node_modules (Grafana 13.2 + React 19, opt-in): keep jest out of it.
const ignore = ['<rootDir>/tests/react19/'];

module.exports = {
  projects: [
    {
      // Unit tests (src/ and tests/unit) and host tests that load dist/ like Grafana does: jsdom + @grafana/ui.
      ...base,
      displayName: 'plugin',
      transform,
      modulePathIgnorePatterns: ignore,
      testPathIgnorePatterns: ['/node_modules/', ...ignore],
      testMatch: [...base.testMatch, '<rootDir>/tests/unit/**/*.test.{ts,tsx}', '<rootDir>/tests/host/**/*.test.{ts,tsx}'],
    },
    {
      // Real Chromium against a real `amokpi serve`: plain Node, no jsdom.
      displayName: 'browser',
      testEnvironment: 'node',
      transform,
      modulePathIgnorePatterns: ignore,
      testPathIgnorePatterns: ['/node_modules/', ...ignore],
      testMatch: ['<rootDir>/tests/browser/**/*.test.ts'],
    },
  ],
};
