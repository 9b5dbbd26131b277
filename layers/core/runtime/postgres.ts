import type { Config } from '../config';
import { PostgresFriendDirectory } from '../db/friend-directory';
import { createPool, type BoundedPool } from '../db/pool';
import { containerConfig } from './config';
import { containerScoped } from './container';

export interface PostgresParts {
  pool: BoundedPool;
  directory: PostgresFriendDirectory;
}

/** The bounded pool (it connects on the first query) and the cached FriendDirectory on it. */
export function createPostgresParts(config: Config): PostgresParts {
  const { presence } = config;
  const retryMs = presence.retryAfterSeconds * 1000;
  const pool = createPool(config.postgres, retryMs, config.awsRegion);
  const directory = new PostgresFriendDirectory(pool, {
    freshMs: presence.friendCacheTtlMs,
    staleMaxMs: presence.staleCacheMaxMs,
    retryMs,
  });
  return { pool, directory };
}

/** The container's pool and friend directory (the functions that read friends or profiles). */
export const containerPostgres = containerScoped(
  () => createPostgresParts(containerConfig()),
  ({ pool }) => pool.end(),
);
