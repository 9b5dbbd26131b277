import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config';
import { logger } from '../logger';
import { countBy, Metric } from '../metrics';

export type RedisClient = Redis | Cluster;

/** Reconnect quickly at first, then at most once a second, with jitter so containers do not reconnect in step. */
function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 5), 1000) * (0.5 + Math.random() / 2);
}

/** A failover turns the old primary read-only: reconnect (and resend) instead of failing every write. */
function reconnectOnReadOnly(error: Error): 2 | false {
  return error.message.startsWith('READONLY') ? 2 : false;
}

/**
 * ioredis emits 'error' for every failed (re)connection attempt; without a listener it prints a stack
 * trace each time. One line when Redis goes away, one every 30 s while it stays away, one when it is back.
 */
function watchConnection(client: RedisClient, endpoint: string): void {
  const REPEAT_MS = 30_000;
  let failing = false;
  let suppressed = 0;
  let lastLogged = 0;
  client.on('error', (error: Error) => {
    const now = Date.now();
    if (!failing || now - lastLogged >= REPEAT_MS) {
      logger.error(failing ? 'Redis still unreachable' : 'Redis connection failed', { endpoint, error: error.message, suppressed });
      countBy(Metric.DependencyErrors, 'Dependency', 'redis');
      failing = true;
      lastLogged = now;
      suppressed = 0;
    } else suppressed++;
  });
  client.on('ready', () => {
    if (failing) logger.info('Redis connection restored', { endpoint });
    failing = false;
  });
}

/**
 * One client per container. Every command has a bounded wait (connect and command timeouts, one
 * retry across a reconnect), so an outage fails requests within about a second instead of queueing
 * them until the function times out. ElastiCache Serverless and cluster-mode endpoints need Cluster
 * with the configured host kept as-is for TLS SNI.
 */
export function createRedisClient(config: RedisConfig): RedisClient {
  const common: RedisOptions = {
    username: config.username,
    password: config.password,
    tls: config.tls ? {} : undefined,
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: reconnectDelay,
    reconnectOnError: reconnectOnReadOnly,
    // No auto-pipelining: it defers every command to the next tick and wraps it in a pipeline, which
    // halved heartbeat throughput in the benchmark (README, Performance). Calls that belong together
    // (one script per shard) go out as one explicit pipeline instead.
    enableAutoPipelining: false,
  };
  const endpoint = `${config.host}:${config.port}`;
  let client: RedisClient;
  if (config.cluster) {
    const options: ClusterOptions = {
      redisOptions: common,
      dnsLookup: (address, callback) => callback(null, address),
      slotsRefreshTimeout: config.connectTimeoutMs,
      clusterRetryStrategy: reconnectDelay,
      enableOfflineQueue: true,
      enableAutoPipelining: false,
    };
    client = new Cluster([{ host: config.host, port: config.port }], options);
  } else {
    client = new Redis({ ...common, host: config.host, port: config.port });
  }
  watchConnection(client, endpoint);
  return client;
}
