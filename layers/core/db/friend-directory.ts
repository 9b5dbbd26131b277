import { LRUCache } from 'lru-cache';
import { ServiceUnavailableError } from '../errors';
import { logger } from '../logger';
import type { SharingSettings, UserProfile } from '../model';
import type { FriendDirectory, ProfilesWithFriends, UserContext } from '../ports/friend-directory';
import { SHARE_NOTHING } from '../privacy';
import type { QueryPool } from './pool';

// Two index-friendly halves (primary key on user_id1, index on user_id2) instead of an OR.
const FRIENDS_OF_ONE = `
  SELECT user_id2 AS friend_id FROM friendship_table WHERE user_id1 = $1 AND accepted_at IS NOT NULL
  UNION
  SELECT user_id1 FROM friendship_table WHERE user_id2 = $1 AND accepted_at IS NOT NULL`;

const USER_CONTEXT = `
  SELECT u.share_mode, u.domain_allow_array, u.domain_deny_array,
         ARRAY(${FRIENDS_OF_ONE}) AS friend_ids
  FROM (SELECT $1::text AS user_id) AS me
  LEFT JOIN user_table u ON u.user_id = me.user_id`;

const FRIENDS_OF_MANY = `
  SELECT user_id1 AS user_id, user_id2 AS friend_id FROM friendship_table
   WHERE user_id1 = ANY($1::text[]) AND accepted_at IS NOT NULL
  UNION
  SELECT user_id2, user_id1 FROM friendship_table
   WHERE user_id2 = ANY($1::text[]) AND accepted_at IS NOT NULL`;

// `= ANY(ARRAY(...))` makes PostgreSQL look each id up in the primary key; a join or an OR over the
// id list is planned as a scan of the whole user table.
const PROFILES_WITH_FRIENDS = `
  SELECT user_id, first_name, last_name, profile_image_extension
  FROM user_table
  WHERE user_id = ANY (ARRAY(SELECT $1::text UNION ${FRIENDS_OF_ONE}))`;

interface UserContextRow {
  share_mode: string | null;
  domain_allow_array: string[] | null;
  domain_deny_array: string[] | null;
  friend_ids: string[];
}

export interface DirectoryCacheSettings {
  /** Served without asking PostgreSQL for this long; 0 asks on every call (concurrent calls still share one query). */
  freshMs: number;
  /** While PostgreSQL fails, a value this old may still be served. */
  staleMaxMs: number;
  /** After a failure, a stale value is served for this long without asking again (a down database costs one wait, not one per call). */
  retryMs: number;
  maxUsers?: number;
  clock?: () => number;
}

interface Loaded<T> {
  value: T;
  loadedAt: number;
}

/**
 * A read-through cache with single-flight loads (lru-cache's fetch: concurrent misses for one key share
 * one query) that serves a bounded-stale value when the load fails with an outage.
 */
class StaleWhileFailingCache<T extends object> {
  private readonly cache: LRUCache<string, Loaded<T>>;
  /**
   * freshMs 0: every call loads. A TTL cannot say that: lru-cache's shortest is 1 ms, read through a
   * clock it refreshes once a millisecond, so a call within ~2 ms of the last would reuse its value.
   */
  private readonly alwaysLoad: boolean;

  constructor(
    name: string,
    load: (key: string) => Promise<T>,
    { freshMs, staleMaxMs, retryMs, maxUsers = 10_000, clock = Date.now }: DirectoryCacheSettings,
  ) {
    this.alwaysLoad = freshMs <= 0;
    this.cache = new LRUCache<string, Loaded<T>>({
      max: maxUsers,
      // A value older than this is never used, fresh or stale; within it, `fetchMethod` decides.
      ttl: Math.max(freshMs, 1),
      allowStale: false,
      noDeleteOnFetchRejection: true,
      fetchMethod: async (key, stale, { options }) => {
        const now = clock();
        const usable = stale && now - stale.loadedAt <= staleMaxMs ? stale : undefined;
        try {
          return { value: await load(key), loadedAt: now };
        } catch (error) {
          if (!(error instanceof ServiceUnavailableError) || !usable) throw error;
          logger.warn('PostgreSQL failing; serving a cached value', { cache: name, key, ageMs: now - usable.loadedAt });
          options.ttl = retryMs;
          return usable;
        }
      },
    });
  }

  async get(key: string): Promise<T> {
    // A forced refresh still shares a load in flight and still hands the last value to it (outages).
    const loaded = await this.cache.fetch(key, { forceRefresh: this.alwaysLoad });
    return loaded!.value;
  }
}

/** The FriendDirectory on the user service's PostgreSQL tables (user_table, friendship_table), behind a stale-while-failing cache. */
export class PostgresFriendDirectory implements FriendDirectory {
  private readonly contexts: StaleWhileFailingCache<UserContext>;
  private readonly profiles: StaleWhileFailingCache<ProfilesWithFriends>;

  constructor(
    private readonly pool: Pick<QueryPool, 'query'>,
    cache: DirectoryCacheSettings,
  ) {
    this.contexts = new StaleWhileFailingCache('user context', (userId) => this.loadUserContext(userId), cache);
    // Profiles are read fresh on every GET /presence; the cache only covers outages (and shares concurrent loads).
    this.profiles = new StaleWhileFailingCache('profiles', (userId) => this.loadProfiles(userId), { ...cache, freshMs: 0, maxUsers: 1000 });
  }

  userContext(userId: string): Promise<UserContext> {
    return this.contexts.get(userId);
  }

  profilesWithFriends(userId: string): Promise<ProfilesWithFriends> {
    return this.profiles.get(userId);
  }

  async friendsOfMany(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const friends = new Map<string, string[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return friends;
    const { rows } = await this.pool.query<{ user_id: string; friend_id: string }>(FRIENDS_OF_MANY, [userIds]);
    for (const { user_id, friend_id } of rows) friends.get(user_id)?.push(friend_id);
    return friends;
  }

  private async loadUserContext(userId: string): Promise<UserContext> {
    const { rows } = await this.pool.query<UserContextRow>(USER_CONTEXT, [userId]);
    const row = rows[0];
    const sharing: SharingSettings =
      row?.share_mode === 'default_all' || row?.share_mode === 'default_none'
        ? { shareMode: row.share_mode, domainAllow: row.domain_allow_array ?? [], domainDeny: row.domain_deny_array ?? [] }
        : SHARE_NOTHING;
    return { friendIds: row?.friend_ids ?? [], sharing };
  }

  private async loadProfiles(userId: string): Promise<ProfilesWithFriends> {
    const { rows } = await this.pool.query<UserProfile>(PROFILES_WITH_FRIENDS, [userId]);
    return {
      self: rows.find((row) => row.user_id === userId) ?? null,
      friends: rows.filter((row) => row.user_id !== userId),
    };
  }
}
