/**
 * Where the test suites find their backing services.
 *
 * The integration project's global setup (tests/support/global-setup.ts) creates a fresh PostgreSQL
 * database per run and exports its URL as DATABASE_URL, plus REDIS_URL and TEST_RUN_ID; jest workers
 * inherit those through process.env. Suites call the helpers below instead of reading the variables.
 */
import { randomBytes } from 'node:crypto';

export const DEFAULT_ADMIN_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Set by the global setup to the name of the per-run database; its absence means setup did not run. */
export const TEST_DATABASE_ENV = 'PRESENCE_TEST_DATABASE';
/** Set by the global setup to the server's admin URL, so the teardown can drop the per-run database. */
export const ADMIN_DATABASE_URL_ENV = 'PRESENCE_TEST_ADMIN_DATABASE_URL';

/** Prefix shared by every Redis key a test run writes; the teardown deletes `${REDIS_RUN_PREFIX}<runId>:*`. */
export const REDIS_RUN_PREFIX = 'presence-test:';

/** The admin connection string the global setup connects to (DATABASE_URL as the user gave it). */
export function adminDatabaseUrl(): string {
  return process.env[ADMIN_DATABASE_URL_ENV] ?? process.env.DATABASE_URL ?? DEFAULT_ADMIN_DATABASE_URL;
}

/**
 * The per-run test database. Throws when the global setup did not run, so a suite can never
 * truncate tables in whatever database DATABASE_URL happens to name outside a test run.
 */
export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!process.env[TEST_DATABASE_ENV] || !url) {
    throw new Error(
      'No per-run test database: tests/support/global-setup.ts did not run. ' +
        'Run integration suites through jest (npx jest --selectProjects integration).',
    );
  }
  return url;
}

export function redisUrl(): string {
  return process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
}

/** The random id of this test run (set by the global setup; a per-process fallback otherwise). */
export function testRunId(): string {
  if (!process.env.TEST_RUN_ID) {
    process.env.TEST_RUN_ID = randomBytes(6).toString('hex');
  }
  return process.env.TEST_RUN_ID;
}

/** Redis key prefix for one suite: `presence-test:<runId>:<suite>:`. */
export function testRedisPrefix(suite: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(suite)) {
    throw new Error(`testRedisPrefix: suite name must match [A-Za-z0-9_.-]+, got ${JSON.stringify(suite)}`);
  }
  return `${REDIS_RUN_PREFIX}${testRunId()}:${suite}:`;
}

/** Replace the database name in a postgres:// URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** host:port of a URL, without credentials, for messages. */
export function describeEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '(default port)'}`;
  } catch {
    return '(unparsable URL)';
  }
}
