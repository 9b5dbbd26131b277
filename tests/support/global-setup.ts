/**
 * Jest globalSetup for the integration project.
 *
 * - checks that PostgreSQL and Redis answer (failing with instructions when they do not);
 * - creates a fresh database `presence_test_<pid>_<random>` on the server named by DATABASE_URL
 *   (default postgres://postgres@127.0.0.1:5432/postgres, used only as the admin connection),
 *   applies db/schema.sql and points process.env.DATABASE_URL at it;
 * - sets REDIS_URL (default redis://127.0.0.1:6379) and TEST_RUN_ID; suites namespace their Redis
 *   keys with testRedisPrefix(suite) = `presence-test:<runId>:<suite>:`.
 *
 * Jest workers are started after this runs and inherit process.env. global-teardown.ts undoes it all.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import {
  ADMIN_DATABASE_URL_ENV,
  DEFAULT_ADMIN_DATABASE_URL,
  DEFAULT_REDIS_URL,
  TEST_DATABASE_ENV,
  describeEndpoint,
  withDatabase,
} from './env';

const SCHEMA_FILE = path.resolve(__dirname, '../../db/schema.sql');

const POSTGRES_HELP =
  'Start PostgreSQL, e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` ' +
  '(or run .ci/run, which starts it), or set DATABASE_URL to an admin connection string of a server you may ' +
  'create databases on.';
const REDIS_HELP =
  'Start Redis, e.g. `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no` ' +
  '(or run .ci/run, which starts it), or set REDIS_URL.';

export async function checkPostgres(adminUrl: string): Promise<Client> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(`PostgreSQL is not answering at ${describeEndpoint(adminUrl)} (${(err as Error).message}). ${POSTGRES_HELP}`);
  }
}

export async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let socketError: Error | undefined;
  redis.on('error', (err: Error) => (socketError ??= err));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    const reason = (socketError ?? (err as Error)).message;
    throw new Error(`Redis is not answering at ${describeEndpoint(url)} (${reason}). ${REDIS_HELP}`);
  } finally {
    redis.disconnect();
  }
}

export default async function globalSetup(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL ?? DEFAULT_ADMIN_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;

  await checkRedis(redisUrl);
  const admin = await checkPostgres(adminUrl);

  const runId = process.env.TEST_RUN_ID ?? randomBytes(6).toString('hex');
  const database = `presence_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const testUrl = withDatabase(adminUrl, database);
  try {
    // The name is generated above from [a-z0-9_] only, so quoting it is enough.
    await admin.query(`CREATE DATABASE "${database}"`);
    try {
      const schema = await readFile(SCHEMA_FILE, 'utf8');
      const client = new Client({ connectionString: testUrl, connectionTimeoutMillis: 3000 });
      await client.connect();
      try {
        await client.query(schema);
      } finally {
        await client.end();
      }
    } catch (err) {
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
      throw new Error(`Could not apply ${SCHEMA_FILE} to ${database}: ${(err as Error).message}`);
    }
  } finally {
    await admin.end();
  }

  process.env[ADMIN_DATABASE_URL_ENV] = adminUrl;
  process.env[TEST_DATABASE_ENV] = database;
  process.env.DATABASE_URL = testUrl;
  process.env.REDIS_URL = redisUrl;
  process.env.TEST_RUN_ID = runId;
}
