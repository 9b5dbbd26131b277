import { Pool, type PoolConfig, type QueryResult, type QueryResultRow } from 'pg';
import type { PostgresConfig } from '../config';
import { ServiceUnavailableError } from '../errors';
import { logger } from '../logger';
import { countBy, Metric } from '../metrics';
import { readSecretString } from '../secrets';
import { isLostConnection, isPostgresOutage } from './failures';

/**
 * Reads the password once per container; pg calls this only when it opens a connection. The Secrets
 * Manager client loads then too, so a pool configured with DATABASE_URL (or never used) never loads it.
 */
export function secretPassword(secretArn: string, region: string | undefined, timeoutMs: number): () => Promise<string> {
  let cached: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    const raw = await readSecretString(secretArn, region, timeoutMs);
    try {
      const parsed = JSON.parse(raw) as { password?: unknown };
      if (typeof parsed.password === 'string') return parsed.password;
    } catch {
      // A plain-string secret is the password itself.
    }
    return raw;
  };
  return () => {
    cached ??= read().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}

/** What the rest of the core needs from PostgreSQL: read queries with bounded waits and typed outages. */
export interface QueryPool {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  end(): Promise<void>;
}

/**
 * One pool per container, reused across invocations; small because a Lambda serves one request at a
 * time. Every wait is bounded (connect, query, the queue for a connection), a connection the server
 * or the network drops is discarded instead of crashing the process, and failures that are outages
 * become ServiceUnavailableError. Every query here is a read, so one lost connection (a terminated
 * backend, a failover, an idle timeout while the container was frozen) is retried once at once.
 * After an outage, queries fail at once for `retryAfterMs` instead of each waiting out a timeout:
 * callers serve what they have cached, and a request never waits on two doomed queries in a row.
 */
export class BoundedPool implements QueryPool {
  private failingUntil = 0;

  constructor(
    /** The pg pool itself, for instrumentation (benchmarks count its connects). */
    readonly pool: Pool,
    private readonly size: number,
    private readonly maxWaiting: number,
    private readonly retryAfterMs: number,
  ) {
    pool.on('error', (error) => {
      // An idle pooled connection failed; pg-pool has already discarded it.
      logger.warn('PostgreSQL connection lost while idle; discarded', { error: error.message });
      countBy(Metric.DependencyErrors, 'Dependency', 'postgres');
    });
  }

  async query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    if (Date.now() < this.failingUntil) {
      throw new ServiceUnavailableError('postgres', new Error('PostgreSQL failed moments ago; not asked again yet'));
    }
    const saturated = this.pool.idleCount === 0 && this.pool.totalCount >= this.size;
    if (saturated && this.pool.waitingCount >= this.maxWaiting) {
      throw new ServiceUnavailableError('postgres', new Error(`${this.pool.waitingCount} queries already wait for a connection`));
    }
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      if (!isLostConnection(error)) throw this.classify(error);
      logger.warn('PostgreSQL connection lost during a query; retrying once', { error: (error as Error).message });
      return this.pool.query<R>(text, values).catch((retryError: unknown) => {
        throw this.classify(retryError);
      });
    }
  }

  private classify(error: unknown): unknown {
    if (!isPostgresOutage(error)) return error;
    this.failingUntil = Date.now() + this.retryAfterMs;
    return new ServiceUnavailableError('postgres', error);
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/** `retryAfterMs`: after an outage, how long queries fail at once before PostgreSQL is asked again. */
export function createPool(config: PostgresConfig, retryAfterMs: number, region?: string): BoundedPool {
  const common: PoolConfig = {
    max: config.poolMax,
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: config.connectTimeoutMs,
    // Client-side: a server that stops answering fails the query; server-side: it stops working on it.
    query_timeout: config.queryTimeoutMs,
    statement_timeout: config.queryTimeoutMs,
    keepAlive: true,
    ssl: config.ssl ? { rejectUnauthorized: true } : undefined,
    application_name: 'presence-api',
  };
  const pool = config.connectionString
    ? new Pool({ ...common, connectionString: config.connectionString })
    : new Pool({
        ...common,
        host: config.host,
        port: config.port,
        database: config.database,
        user: config.user,
        password: config.passwordSecretArn ? secretPassword(config.passwordSecretArn, region, config.connectTimeoutMs) : undefined,
      });
  return new BoundedPool(pool, config.poolMax, config.maxWaiting, retryAfterMs);
}
