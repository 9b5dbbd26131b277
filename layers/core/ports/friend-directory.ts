import type { SharingSettings, UserProfile } from '../model';

/** What an update needs to know about its author: whom to tell, and what they share. */
export interface UserContext {
  friendIds: string[];
  sharing: SharingSettings;
}

export interface ProfilesWithFriends {
  self: UserProfile | null;
  friends: UserProfile[];
}

/**
 * Who is friends with whom, and what they share: what the core asks of the user service's tables
 * (PostgreSQL: db/friend-directory.ts). An outage rejects with ServiceUnavailableError('postgres').
 */
export interface FriendDirectory {
  /** Accepted friends and sharing settings of one user (cached briefly; stale while PostgreSQL fails). */
  userContext(userId: string): Promise<UserContext>;
  /** Accepted friends of many users in one query (the sweep's batch); every asked user is a key. */
  friendsOfMany(userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** The user's and their friends' profiles in one query; friend ids follow from it (stale while PostgreSQL fails). */
  profilesWithFriends(userId: string): Promise<ProfilesWithFriends>;
}
