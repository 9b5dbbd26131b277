import { ServiceUnavailableError } from '../../../layers/core/errors';
import type { SharingSettings, UserProfile } from '../../../layers/core/model';
import type { FriendDirectory, ProfilesWithFriends, UserContext } from '../../../layers/core/ports/friend-directory';
import { SHARE_NOTHING } from '../../../layers/core/privacy';

/**
 * A FriendDirectory over maps, answering as the PostgreSQL one does: an unknown user has no friends
 * and shares nothing, profiles exist only for added users. `down()` makes every call fail as an
 * outage does (ServiceUnavailableError('postgres')) until `up()`.
 */
export class FakeFriendDirectory implements FriendDirectory {
  private readonly friends = new Map<string, Set<string>>();
  private readonly sharing = new Map<string, SharingSettings>();
  private readonly profiles = new Map<string, UserProfile>();
  private outage: ServiceUnavailableError | null = null;

  /** Adds users with a profile (their id as first name); `sharing` for all of them, private by default. */
  addUsers(userIds: readonly string[], sharing: SharingSettings = SHARE_NOTHING): this {
    for (const userId of userIds) {
      this.profiles.set(userId, { user_id: userId, first_name: userId, last_name: 'Test', profile_image_extension: null });
      this.sharing.set(userId, sharing);
    }
    return this;
  }

  /** Accepted friendships, both ways. */
  befriend(...pairs: ReadonlyArray<readonly [string, string]>): this {
    for (const [a, b] of pairs) {
      this.friendsOf(a).add(b);
      this.friendsOf(b).add(a);
    }
    return this;
  }

  share(userId: string, sharing: SharingSettings): this {
    this.sharing.set(userId, sharing);
    return this;
  }

  down(): void {
    this.outage = new ServiceUnavailableError('postgres', new Error('connect ECONNREFUSED 127.0.0.1:5432'));
  }

  up(): void {
    this.outage = null;
  }

  async userContext(userId: string): Promise<UserContext> {
    this.failIfDown();
    return { friendIds: [...this.friendsOf(userId)], sharing: this.sharing.get(userId) ?? SHARE_NOTHING };
  }

  async friendsOfMany(userIds: readonly string[]): Promise<Map<string, string[]>> {
    this.failIfDown();
    return new Map(userIds.map((userId) => [userId, [...this.friendsOf(userId)]]));
  }

  async profilesWithFriends(userId: string): Promise<ProfilesWithFriends> {
    this.failIfDown();
    const friends = [...this.friendsOf(userId)].flatMap((friendId) => this.profiles.get(friendId) ?? []);
    return { self: this.profiles.get(userId) ?? null, friends };
  }

  private friendsOf(userId: string): Set<string> {
    let friends = this.friends.get(userId);
    if (!friends) this.friends.set(userId, (friends = new Set()));
    return friends;
  }

  private failIfDown(): void {
    if (this.outage) throw this.outage;
  }
}
