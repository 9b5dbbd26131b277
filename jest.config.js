/** Unit tests are pure logic; integration tests talk to real Redis and PostgreSQL. */
// The AWS SDK's notice that future releases need Node 22 is noise in test output (Lambda runs nodejs24.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];
// @middy/core ships only ES modules, and wasmoon loads its WASM glue with import('module'), which jest's
// CommonJS sandbox refuses: let swc turn both into plain CommonJS for jest.
const common = {
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.aws-sam/', '<rootDir>/.venv-tools/'],
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@middy|wasmoon)/)'],
};

module.exports = {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/global-setup.ts',
      globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
    },
    {
      // The local runtime (local/app.ts) driven by real WebSocket and HTTP clients; each file boots its own
      // stack on random ports (one stack per module registry), against the run's PostgreSQL database and Redis.
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/global-setup.ts',
      globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
    },
  ],
};
