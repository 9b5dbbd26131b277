import { ConfigError, longestAllowanceMs, type Config } from '../config';
import { ServiceUnavailableError } from '../errors';
import { KeySpace } from '../keys';
import { logger } from '../logger';
import type { PresenceStore } from '../ports/presence-store';
import { createRedisClient, type RedisClient } from '../redis/client';
import { readRedisCredentials } from '../redis/credentials';
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

/** The Redis client (connecting from now on) and the PresenceStore on it, with the credentials the config holds. */
export function createRedisParts(config: Config): RedisParts {
  if (config.redis.authSecretArn) {
    throw new ConfigError('REDIS_AUTH_SECRET_ARN is read by the functions only: connect with REDIS_URL here (credentials in the URL)');
  }
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

/** The container's Redis client and store, made at once (credentials, if any, in REDIS_URL): every function's without a secret, and the local runtime's. */
export const containerRedisParts = containerScoped(
  () => createRedisParts(containerConfig()),
  ({ redis }) => redis.quit(),
);

/** The store a function uses, and how to let go of its client. */
export interface RedisStore {
  store: PresenceStore;
  close(): Promise<void>;
}

/** Every operation of the store `ready` resolves, once it has: the same calls, in the same order. */
class StoreWhenReady implements PresenceStore {
  constructor(private readonly ready: () => Promise<PresenceStore>) {}

  async connect(...args: Parameters<PresenceStore['connect']>) {
    return (await this.ready()).connect(...args);
  }
  async heartbeat(...args: Parameters<PresenceStore['heartbeat']>) {
    return (await this.ready()).heartbeat(...args);
  }
  async subscribe(...args: Parameters<PresenceStore['subscribe']>) {
    return (await this.ready()).subscribe(...args);
  }
  async countMessage(...args: Parameters<PresenceStore['countMessage']>) {
    return (await this.ready()).countMessage(...args);
  }
  async updatePage(...args: Parameters<PresenceStore['updatePage']>) {
    return (await this.ready()).updatePage(...args);
  }
  async releasePush(...args: Parameters<PresenceStore['releasePush']>) {
    return (await this.ready()).releasePush(...args);
  }
  async claimDeferred(...args: Parameters<PresenceStore['claimDeferred']>) {
    return (await this.ready()).claimDeferred(...args);
  }
  async disconnect(...args: Parameters<PresenceStore['disconnect']>) {
    return (await this.ready()).disconnect(...args);
  }
  async friendsTold(...args: Parameters<PresenceStore['friendsTold']>) {
    return (await this.ready()).friendsTold(...args);
  }
  async removeConnections(...args: Parameters<PresenceStore['removeConnections']>) {
    return (await this.ready()).removeConnections(...args);
  }
  async connectionsOf(...args: Parameters<PresenceStore['connectionsOf']>) {
    return (await this.ready()).connectionsOf(...args);
  }
  async snapshot(...args: Parameters<PresenceStore['snapshot']>) {
    return (await this.ready()).snapshot(...args);
  }
  async staleCandidates(...args: Parameters<PresenceStore['staleCandidates']>) {
    return (await this.ready()).staleCandidates(...args);
  }
  async claimStale(...args: Parameters<PresenceStore['claimStale']>) {
    return (await this.ready()).claimStale(...args);
  }
  async pending(...args: Parameters<PresenceStore['pending']>) {
    return (await this.ready()).pending(...args);
  }
  async onlineAmong(...args: Parameters<PresenceStore['onlineAmong']>) {
    return (await this.ready()).onlineAmong(...args);
  }
  async clearPending(...args: Parameters<PresenceStore['clearPending']>) {
    return (await this.ready()).clearPending(...args);
  }
}

/**
 * The store of a function whose Redis credentials are in Secrets Manager (REDIS_AUTH_SECRET_ARN): ioredis
 * takes credentials only when a client is made, so the client and its store are made once the first
 * operation has read them (concurrent operations share the read). A read that fails or does not answer in
 * time is an outage (503, or an error frame) and the next operation reads again; once made, the client
 * is the container's for good, and reconnects with the same credentials.
 */
export function storeWithSecretCredentials(config: Config, secretArn: string): RedisStore {
  let parts: Promise<RedisParts> | undefined;
  let closed = false;
  const made = async (): Promise<RedisParts> => {
    const credentials = await readRedisCredentials(secretArn, config.awsRegion, config.redis.connectTimeoutMs).catch((error: unknown) => {
      // The invocation's line says "unavailable"; this one says why (a denied read, a malformed secret), never its content.
      logger.error('Redis credentials could not be read', {
        secretArn,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      throw new ServiceUnavailableError('redis', error);
    });
    if (closed) throw new ServiceUnavailableError('redis', new Error('the Redis client was closed'));
    return createRedisParts({ ...config, redis: { ...config.redis, authSecretArn: undefined, ...credentials } });
  };
  const ready = async (): Promise<PresenceStore> => {
    parts ??= made().catch((error: unknown) => {
      parts = undefined;
      throw error;
    });
    return (await parts).store;
  };
  return {
    store: new StoreWhenReady(ready),
    close: async () => {
      closed = true;
      const pending = parts;
      parts = undefined;
      await pending?.then(
        ({ redis }) => redis.quit(),
        () => undefined,
      );
    },
  };
}

/** The container's store (every function but the authorizer): with a secret, its client is made once the secret is read. */
export const containerRedis = containerScoped(
  (): RedisStore => {
    const config = containerConfig();
    const secretArn = config.redis.authSecretArn;
    return secretArn ? storeWithSecretCredentials(config, secretArn) : { store: containerRedisParts().store, close: async () => undefined };
  },
  (redis) => redis.close(),
);
