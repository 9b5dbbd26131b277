import { LRUCache } from 'lru-cache';
import type { Pool } from 'pg';
import { SHARE_NOTHING, type SharingSettings } from '../privacy';

export interface UserProfile {
  user_id: string;
  first_name: string;
  last_name: string;
  profile_image_extension: string | null;
}

/** What an update needs to know about its author: whom to tell, and what they share. */
export interface UserContext {
  friendIds: string[];
  sharing: SharingSettings;
}

export interface FriendDirectory {
  /** Accepted friends and sharing settings of one user (cached briefly). */
  userContext(userId: string): Promise<UserContext>;
  /** Accepted friends of many users in one query (the sweep's batch). */
  friendsOfMany(userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** The user's and their friends' profiles in one query; friend ids follow from it. */
  profilesWithFriends(userId: string): Promise<{ self: UserProfile | null; friends: UserProfile[] }>;
}

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

export class PostgresFriendDirectory implements FriendDirectory {
  private readonly contexts: LRUCache<string, UserContext> | null;

  constructor(
    private readonly pool: Pick<Pool, 'query'>,
    cacheTtlMs: number,
    cacheMaxUsers = 10_000,
  ) {
    this.contexts = cacheTtlMs > 0 ? new LRUCache({ max: cacheMaxUsers, ttl: cacheTtlMs }) : null;
  }

  async userContext(userId: string): Promise<UserContext> {
    const cached = this.contexts?.get(userId);
    if (cached) return cached;
    const { rows } = await this.pool.query<UserContextRow>(USER_CONTEXT, [userId]);
    const row = rows[0];
    const sharing: SharingSettings =
      row?.share_mode === 'default_all' || row?.share_mode === 'default_none'
        ? { shareMode: row.share_mode, domainAllow: row.domain_allow_array ?? [], domainDeny: row.domain_deny_array ?? [] }
        : SHARE_NOTHING;
    const context: UserContext = { friendIds: row?.friend_ids ?? [], sharing };
    this.contexts?.set(userId, context);
    return context;
  }

  async friendsOfMany(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const friends = new Map<string, string[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return friends;
    const { rows } = await this.pool.query<{ user_id: string; friend_id: string }>(FRIENDS_OF_MANY, [userIds]);
    for (const { user_id, friend_id } of rows) friends.get(user_id)?.push(friend_id);
    return friends;
  }

  async profilesWithFriends(userId: string): Promise<{ self: UserProfile | null; friends: UserProfile[] }> {
    const { rows } = await this.pool.query<UserProfile>(PROFILES_WITH_FRIENDS, [userId]);
    return {
      self: rows.find((row) => row.user_id === userId) ?? null,
      friends: rows.filter((row) => row.user_id !== userId),
    };
  }
}
