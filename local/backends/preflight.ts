/**
 * Start-up checks of the Redis and PostgreSQL a user pointed the local stack at (REDIS_URL,
 * DATABASE_URL), made before anything else starts: a server that is not there, refuses, wants other
 * credentials or lacks the database stops `npm start` within a few seconds with one line saying what,
 * where (host:port, never the credentials), why and how to fix it, instead of a stack that starts
 * and then answers every request with 500.
 */
import Redis from 'ioredis';
import { Client } from 'pg';

/** A dependency is unusable; the message is the one line to print. */
export class DependencyError extends Error {
  override name = 'DependencyError';
}

/** Each check gives up after this long (a host that swallows packets, a server that never answers). */
export const PREFLIGHT_TIMEOUT_MS = 2000;

function endpoint(url: string, defaultPort: number): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || defaultPort}`;
}

function hostOf(url: string): string {
  return new URL(url).hostname;
}

function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

interface Failure {
  code?: string;
  message: string;
}

/** Reasons shared by both checks: the network-level ones. */
function networkReason(failure: Failure, host: string): string | undefined {
  switch (failure.code) {
    case 'ECONNREFUSED':
      return 'refused the connection (nothing listens on that port)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot be reached: the host name "${host}" does not resolve`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'cannot be reached: no route to that host';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'closed the connection at once (is that port really this service?)';
    case 'ETIMEDOUT':
      return `did not answer within ${PREFLIGHT_TIMEOUT_MS / 1000} s`;
    default:
      return undefined;
  }
}

const REDIS_FIX = 'fix REDIS_URL, start Redis there, or unset REDIS_URL so npm start runs a private redis-server';

export async function checkRedis(url: string, timeoutMs = PREFLIGHT_TIMEOUT_MS): Promise<void> {
  const where = `Redis at ${endpoint(url, 6379)} (REDIS_URL)`;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // ioredis reports the cause on 'error' and rejects connect() with a generic "Connection is closed".
  let cause: Failure | undefined;
  redis.on('error', (error: Failure) => {
    cause ??= error;
  });
  try {
    const outcome = await withDeadline(
      redis.connect().then(() => redis.ping()),
      timeoutMs,
    ).catch((error: Failure) => ({ failed: cause ?? error }));
    if (outcome === 'timeout')
      throw new DependencyError(`${where} did not answer within ${timeoutMs / 1000} s: check the host and port, or ${REDIS_FIX}.`);
    if (typeof outcome === 'object' && 'failed' in outcome) {
      const failure = outcome.failed;
      const network = networkReason(failure, hostOf(url));
      if (network) throw new DependencyError(`${where} ${network}: ${REDIS_FIX}.`);
      if (/^NOAUTH/.test(failure.message)) {
        throw new DependencyError(
          `${where} requires a password (NOAUTH): put it in REDIS_URL as redis://:password@host:port (or redis://user:password@host:port).`,
        );
      }
      if (/^WRONGPASS|invalid password|invalid username-password/i.test(failure.message)) {
        throw new DependencyError(`${where} refused the user name or password in REDIS_URL (WRONGPASS): fix them in REDIS_URL.`);
      }
      throw new DependencyError(`${where} failed: ${failure.message.split('\n')[0]} — ${REDIS_FIX}.`);
    }
  } finally {
    redis.disconnect();
  }
}

const POSTGRES_FIX = 'fix DATABASE_URL, start PostgreSQL there, or unset DATABASE_URL to use the embedded demo database';

const REQUIRED_TABLES = ['user_table', 'friendship_table'];

export async function checkPostgres(url: string, timeoutMs = PREFLIGHT_TIMEOUT_MS): Promise<void> {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || 'postgres';
  const user = decodeURIComponent(parsed.username) || '(default user)';
  const where = `PostgreSQL at ${endpoint(url, 5432)} (DATABASE_URL)`;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    const outcome = await withDeadline(
      client
        .connect()
        .then(() =>
          client.query<{ name: string; present: boolean }>(
            'SELECT name, to_regclass(name) IS NOT NULL AS present FROM unnest($1::text[]) AS name',
            [REQUIRED_TABLES],
          ),
        ),
      timeoutMs,
    ).catch((error: Failure) => ({ failed: error }));
    if (outcome === 'timeout' || ('failed' in outcome && /timeout/i.test(outcome.failed.message) && !outcome.failed.code)) {
      throw new DependencyError(`${where} did not answer within ${timeoutMs / 1000} s: check the host and port, or ${POSTGRES_FIX}.`);
    }
    if ('failed' in outcome) {
      const failure = outcome.failed;
      const network = networkReason(failure, hostOf(url));
      if (network) throw new DependencyError(`${where} ${network}: ${POSTGRES_FIX}.`);
      switch (failure.code) {
        case '3D000':
          throw new DependencyError(
            `${where} has no database "${database}": create it (createdb -h ${parsed.hostname} "${database}") or fix the name in DATABASE_URL.`,
          );
        case '28P01':
          throw new DependencyError(`${where} refused the password of user "${user}" (28P01): fix the password in DATABASE_URL.`);
        case '28000':
          throw new DependencyError(
            `${where} refused user "${user}" (28000: ${failure.message}): fix the user in DATABASE_URL or allow it in pg_hba.conf.`,
          );
        default:
          throw new DependencyError(`${where} failed: ${failure.message.split('\n')[0]} — ${POSTGRES_FIX}.`);
      }
    }
    const missing = outcome.rows.filter((row) => !row.present).map((row) => row.name);
    if (missing.length > 0) {
      throw new DependencyError(
        `${where}, database "${database}", has no ${missing.join(' or ')}: load the schema with psql "$DATABASE_URL" -f db/schema.sql (or unset DATABASE_URL to use the embedded demo database).`,
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Both checks at once; the first failure (Redis before PostgreSQL) is the one reported. */
export async function checkDependencies(options: { redisUrl?: string; checkRedis: boolean; databaseUrl?: string }): Promise<void> {
  const checks = await Promise.allSettled([
    options.redisUrl && options.checkRedis ? checkRedis(options.redisUrl) : undefined,
    options.databaseUrl ? checkPostgres(options.databaseUrl) : undefined,
  ]);
  const failed = checks.find((check): check is PromiseRejectedResult => check.status === 'rejected');
  if (failed) throw failed.reason;
}
