/** Unit tests are pure logic; integration tests talk to real Redis and PostgreSQL. */
// The AWS SDK's notice that future releases need Node 22 is noise in test output (Lambda runs nodejs24.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The handlers' EMF metric lines would fill the test output; tests/integration/telemetry.test.ts turns them on for itself.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];
// @middy/core ships only ES modules, and wasmoon (its WASM glue) and @aws/lambda-invoke-store (node:async_hooks) load with import(), which jest's
// CommonJS sandbox refuses: let swc turn them into plain CommonJS for jest.
const common = {
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.aws-sam/', '<rootDir>/.venv-tools/'],
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@middy|wasmoon|@aws/lambda-invoke-store)/)'],
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
