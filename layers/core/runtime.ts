import { ConfigError, loadConfig, type Config } from './config';
import { PostgresFriendDirectory } from './db/friend-directory';
import { createPool, type BoundedPool } from './db/pool';
import { KeySpace } from './keys';
import { PresenceService } from './presence-service';
import type { ConnectionGateway } from './ports/connection-gateway';
import { ApiGatewayConnectionGateway } from './push/connection-gateway';
import { createRedisClient, type RedisClient } from './redis/client';
import { RedisPresenceStore } from './redis/presence-store';
import { TimeoutSweeper } from './timeout-sweeper';

/** Every client a function needs, created once per container and reused across invocations. */
export interface Runtime {
  config: Config;
  redis: RedisClient;
  pool: BoundedPool;
  store: RedisPresenceStore;
  service: PresenceService;
  sweeper: TimeoutSweeper;
  close(): Promise<void>;
}

/**
 * How long one fan-out may hold a user's push lease: longer than any function's timeout, so a lease is
 * only ever taken over from an invocation that died; the sweep then sends what it was sending.
 */
const PUSH_LEASE_MS = 15_000;

/** Functions that never push (authorizer, REST) may run without the management endpoint. */
const pushDisabled: ConnectionGateway = {
  post: () => Promise.reject(new ConfigError('WEBSOCKET_MANAGEMENT_ENDPOINT is not set')),
  close: () => Promise.reject(new ConfigError('WEBSOCKET_MANAGEMENT_ENDPOINT is not set')),
};

export interface RuntimeOptions {
  /** Fail at init when the function pushes but has no management endpoint. */
  push?: boolean;
  env?: Record<string, string | undefined>;
  gateway?: ConnectionGateway;
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const config = loadConfig(options.env ?? process.env);
  if (options.push && !config.managementEndpoint && !options.gateway) {
    throw new ConfigError('WEBSOCKET_MANAGEMENT_ENDPOINT must be set for functions that push to connections');
  }
  const { presence } = config;
  const redis = createRedisClient(config.redis);
  const pool = createPool(config.postgres, presence.retryAfterSeconds * 1000, config.awsRegion);
  const keys = new KeySpace(config.redis.keyPrefix, presence.statusShards);
  const store = new RedisPresenceStore(redis, keys, {
    connectionMaxAgeMs: presence.connectionMaxAgeMs,
    lastSeenRetentionMs: presence.lastSeenRetentionMs,
    pageTtlMs: presence.connectionMaxAgeMs + presence.timeoutMs,
    limits: presence.limits,
    pushLeaseMs: PUSH_LEASE_MS,
    commandDeadlineMs: config.redis.cluster ? 2 * config.redis.commandTimeoutMs : undefined,
  });
  const directory = new PostgresFriendDirectory(pool, {
    freshMs: presence.friendCacheTtlMs,
    staleMaxMs: presence.staleCacheMaxMs,
    retryMs: presence.retryAfterSeconds * 1000,
  });
  // Created here, so closed here; an injected gateway belongs to its caller.
  const ownGateway =
    !options.gateway && config.managementEndpoint
      ? ApiGatewayConnectionGateway.create(config.managementEndpoint, config.awsRegion, presence.pushConcurrency, presence.pushTimeoutMs)
      : undefined;
  const gateway = options.gateway ?? ownGateway ?? pushDisabled;
  const service = new PresenceService({ store, directory, gateway, settings: presence });
  const sweeper = new TimeoutSweeper({ store, directory, gateway, settings: presence });
  return {
    config,
    redis,
    pool,
    store,
    service,
    sweeper,
    async close() {
      await Promise.allSettled([redis.quit(), pool.end(), ownGateway?.client.close()]);
    },
  };
}

let shared: Runtime | undefined;

/** The container-wide runtime; handlers call this at module scope so clients live across invocations. */
export function getRuntime(options: Omit<RuntimeOptions, 'env' | 'gateway'> = {}): Runtime {
  if (!shared) shared = createRuntime(options);
  else if (options.push && !shared.config.managementEndpoint) {
    throw new ConfigError('WEBSOCKET_MANAGEMENT_ENDPOINT must be set for functions that push to connections');
  }
  return shared;
}

/** Closes the shared clients (tests and the local runtime's shutdown). */
export async function closeRuntime(): Promise<void> {
  const current = shared;
  shared = undefined;
  await current?.close();
}
