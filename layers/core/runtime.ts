import { loadConfig, type Config } from './config';
import type { BoundedPool } from './db/pool';
import type { ConnectionGateway } from './ports/connection-gateway';
import type { PresenceService } from './presence-service';
import type { RedisClient } from './redis/client';
import type { RedisPresenceStore } from './redis/presence-store';
import { containerConfig, managementEndpointOf } from './runtime/config';
import { closeContainer } from './runtime/container';
import { containerPostgres, createPostgresParts, type PostgresParts } from './runtime/postgres';
import { containerGateway, createConnectionGateway } from './runtime/push';
import { containerRedisParts, createRedisParts, type RedisParts } from './runtime/redis';
import { presenceService, timeoutSweeper } from './runtime/service';
import type { TimeoutSweeper } from './timeout-sweeper';

/**
 * Every client and the whole core at once, for what is not a deployed function: the local runtime, the
 * benchmark, tests. A handler composes only the parts it uses, from ./runtime/, so that
 * its bundle loads nothing else.
 */
export interface Runtime {
  config: Config;
  redis: RedisClient;
  pool: BoundedPool;
  store: RedisPresenceStore;
  service: PresenceService;
  sweeper: TimeoutSweeper;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Fail when there is no management endpoint (and no injected gateway). */
  push?: boolean;
  env?: Record<string, string | undefined>;
  gateway?: ConnectionGateway;
}

function assemble(
  config: Config,
  redis: RedisParts,
  postgres: PostgresParts,
  gateway: ConnectionGateway | undefined,
  close: () => Promise<void>,
): Runtime {
  const parts = { store: redis.store, directory: postgres.directory, gateway };
  return {
    config,
    redis: redis.redis,
    pool: postgres.pool,
    store: redis.store,
    service: presenceService(config, parts),
    sweeper: timeoutSweeper(config, parts),
    close,
  };
}

/** A runtime with clients of its own, closed by its `close` (e.g. several containers in one benchmark process). */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const config = loadConfig(options.env ?? process.env);
  if (options.push && !options.gateway) managementEndpointOf(config);
  const redis = createRedisParts(config);
  const postgres = createPostgresParts(config);
  // Created here, so closed here; an injected gateway belongs to its caller.
  const ownGateway = !options.gateway && config.managementEndpoint ? createConnectionGateway(config) : undefined;
  return assemble(config, redis, postgres, options.gateway ?? ownGateway, async () => {
    await Promise.allSettled([redis.redis.quit(), postgres.pool.end(), ownGateway?.client.close()]);
  });
}

let shared: Runtime | undefined;

/**
 * The container's runtime: the very clients the handlers loaded in this process use (./runtime/), so a
 * caller sees and counts what they do.
 */
export function getRuntime(options: Pick<RuntimeOptions, 'push'> = {}): Runtime {
  const config = containerConfig();
  if (options.push) managementEndpointOf(config);
  shared ??= assemble(
    config,
    containerRedisParts(),
    containerPostgres(),
    config.managementEndpoint ? containerGateway() : undefined,
    closeRuntime,
  );
  return shared;
}

/** Closes every client the handlers or getRuntime made in this process (tests and the local runtime's shutdown). */
export async function closeRuntime(): Promise<void> {
  shared = undefined;
  await closeContainer();
}
