import { longestAllowanceMs, type Config } from '../config';
import { KeySpace } from '../keys';
import { createRedisClient, type RedisClient } from '../redis/client';
import { RedisPresenceStore } from '../redis/presence-store';
import { containerConfig } from './config';
import { containerScoped } from './container';

/**
 * How long one fan-out may hold a user's push lease: longer than any function's timeout, so a lease is
 * only ever taken over from an invocation that died; the sweep then sends what it was sending.
 */
const PUSH_LEASE_MS = 15_000;

export interface RedisParts {
  redis: RedisClient;
  store: RedisPresenceStore;
}

/** The Redis client (connecting from now on) and the PresenceStore on it. */
export function createRedisParts(config: Config): RedisParts {
  const { presence } = config;
  const redis = createRedisClient(config.redis);
  const store = new RedisPresenceStore(redis, new KeySpace(config.redis.keyPrefix, presence.statusShards), {
    connectionMaxAgeMs: presence.connectionMaxAgeMs,
    maxAllowanceMs: longestAllowanceMs(presence),
    lastSeenRetentionMs: presence.lastSeenRetentionMs,
    // A page outlives the connection that set it by the longest silence and grace the sweep may wait.
    pageTtlMs: presence.connectionMaxAgeMs + longestAllowanceMs(presence),
    limits: presence.limits,
    pushLeaseMs: PUSH_LEASE_MS,
    commandDeadlineMs: config.redis.cluster ? 2 * config.redis.commandTimeoutMs : undefined,
  });
  return { redis, store };
}

/** The container's Redis client and store (every function but the authorizer). */
export const containerRedis = containerScoped(
  () => createRedisParts(containerConfig()),
  ({ redis }) => redis.quit(),
);
