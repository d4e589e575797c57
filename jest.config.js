/** Every test of the repository runs through this one config (see README "Tests"). */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/app', '<rootDir>/infra', '<rootDir>/helm', '<rootDir>/alerts', '<rootDir>/dashboards', '<rootDir>/runbooks'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  globalSetup: '<rootDir>/app/test/support/global-setup.ts',
  // Integration suites start their own redis-server and gateway processes; two workers match the two cores.
  maxWorkers: 2,
};
