/** One jest run: unit tests and integration tests against the real services that
 * test/setup/global-setup.ts starts once for the whole run. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
    // jose 6 ships ES modules only; jest's CommonJS runtime needs them transformed.
    '^.+/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testSequencer: '<rootDir>/test/setup/sequencer.js',
  testTimeout: 60000,
  maxWorkers: 2,
  collectCoverageFrom: [
    'domain/**/*.ts', 'infra/**/*.ts', 'api/**/*.ts', 'model-server/**/*.ts',
    'workflows/**/*.ts', 'activities/**/*.ts', 'cli/**/*.ts',
    '!**/main.ts', '!**/*.d.ts',
  ],
  coverageReporters: ['text-summary', 'json-summary', 'lcov'],
  coverageThreshold: { global: { lines: 85 } },
};
