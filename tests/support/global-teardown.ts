/**
 * Jest globalTeardown for the integration project: drops the per-run database created by
 * global-setup.ts and deletes every Redis key under `presence-test:<runId>:` (SCAN, never KEYS).
 */
import Redis from 'ioredis';
import { deleteKeysWithPrefix } from './redis-keys';
import { Client } from 'pg';
import { ADMIN_DATABASE_URL_ENV, REDIS_RUN_PREFIX, TEST_DATABASE_ENV, redisUrl } from './env';

async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  if (!/^presence_test_[a-z0-9_]+$/.test(database)) {
    throw new Error(`global-teardown: refusing to drop unexpected database name ${JSON.stringify(database)}`);
  }
  const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    // The run's database and every suite database derived from it (useSuiteDatabase).
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $2)',
      [database, `${database}_`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Deletes all keys matching `${prefix}*`; returns how many were deleted. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    return await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

export default async function globalTeardown(): Promise<void> {
  const problems: string[] = [];

  const database = process.env[TEST_DATABASE_ENV];
  const adminUrl = process.env[ADMIN_DATABASE_URL_ENV];
  if (database && adminUrl) {
    try {
      await dropDatabase(adminUrl, database);
      delete process.env[TEST_DATABASE_ENV];
      process.env.DATABASE_URL = adminUrl;
    } catch (err) {
      problems.push(`dropping database ${database}: ${(err as Error).message}`);
    }
  }

  const runId = process.env.TEST_RUN_ID;
  if (runId) {
    try {
      await deleteRedisKeys(redisUrl(), `${REDIS_RUN_PREFIX}${runId}:`);
    } catch (err) {
      problems.push(`deleting Redis keys ${REDIS_RUN_PREFIX}${runId}:*: ${(err as Error).message}`);
    }
  }

  if (problems.length > 0) {
    throw new Error(`Integration test teardown failed: ${problems.join('; ')}`);
  }
}
