/** Every test of the repository runs through this one config (see README "Tests"). */
const swc = require('./scripts/swc-options');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/app', '<rootDir>/infra', '<rootDir>/helm', '<rootDir>/alerts', '<rootDir>/dashboards', '<rootDir>/runbooks'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The workspace packages from source, so tests need no package build first.
  moduleNameMapper: {
    '^@socket-gateway/client$': '<rootDir>/app/src/client/index.ts',
    '^@socket-gateway/react$': '<rootDir>/app/react/src/index.ts',
  },
  testTimeout: 30000,
  globalSetup: '<rootDir>/app/test/support/global-setup.ts',
  // Integration suites start their own redis-server and gateway processes; two workers match the two cores.
  maxWorkers: 2,
};
