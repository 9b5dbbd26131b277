import type { PresenceConfig } from './config';
import { ForbiddenError, RateLimitedError, StaleConnectionError } from './errors';
import { logger } from './logger';
import { count, Metric } from './metrics';
import { errorMessage, presenceTimeoutMessage, updatePresenceMessage, type ServerMessage } from './messages';
import type {
  Clock,
  ConnectionRef,
  FanOutPage,
  MessageVerdict,
  Page,
  PresenceEntry,
  PresenceSnapshot,
  UserPresence,
  UserProfile,
} from './model';
import type { ConnectionGateway } from './ports/connection-gateway';
import type { FriendDirectory } from './ports/friend-directory';
import type { PresenceStore } from './ports/presence-store';
import { visiblePage } from './privacy';
import { fanOut } from './push/fan-out';
import { connectionTargets, updateTargets } from './push/targets';

export interface PresenceServiceDeps {
  store: PresenceStore;
  directory: FriendDirectory;
  gateway: ConnectionGateway;
  settings: Pick<PresenceConfig, 'pushConcurrency'>;
  clock?: Clock;
}

/**
 * Applies a message's budget verdict: the first message over the budget gets a `rate-limited` error
 * frame, the one that makes the connection a flooder closes it; the others pass quietly (what they
 * carried is applied or, once the connection is being closed, dropped).
 */
export function enforceBudget(verdict: MessageVerdict): void {
  if (verdict === 'ok') return;
  count(Metric.RateLimited);
  if (verdict === 'limited') throw new RateLimitedError(false);
  if (verdict === 'close') {
    count(Metric.FloodClosed);
    throw new RateLimitedError(true);
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function entry(userId: string, presence: UserPresence | undefined): PresenceEntry {
  return {
    userId,
    page: presence?.page ?? null,
    latestPage: presence?.latestPage ?? null,
    lastActiveAt: iso(presence?.lastActiveAt ?? null),
    lastSeenAt: iso(presence?.lastSeenAt ?? null),
  };
}

/** The domain operations behind every WebSocket route and REST endpoint. */
export class PresenceService {
  private readonly store: PresenceStore;
  private readonly directory: FriendDirectory;
  private readonly gateway: ConnectionGateway;
  private readonly pushConcurrency: number;
  private readonly now: Clock;

  constructor(deps: PresenceServiceDeps) {
    this.store = deps.store;
    this.directory = deps.directory;
    this.gateway = deps.gateway;
    this.pushConcurrency = deps.settings.pushConcurrency;
    this.now = deps.clock ?? Date.now;
  }

  /**
   * Registers the connection and marks the user active, so a silent client still times out. When the
   * user came online, friends are told at once (an update-presence with no page shared yet and the
   * latest shared page), so they show the user online before the first update. That is best effort:
   * a failure there never refuses the connection; the sweep then sends it.
   */
  async connect(userId: string, connectionId: string, connectedAt: number): Promise<{ cameOnline: boolean; sent: number }> {
    const { cameOnline, fanOut } = await this.store.connect(userId, connectionId, connectedAt, this.now());
    let sent = 0;
    if (fanOut) {
      try {
        const { friendIds } = await this.directory.userContext(userId);
        sent = await this.fanOutWhileLeased(userId, friendIds, fanOut);
      } catch (error) {
        logger.warn('came-online push failed; the sweep sends it', {
          userId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return { cameOnline, sent };
  }

  async heartbeat(userId: string, connectionId: string): Promise<void> {
    const verdict = await this.store.heartbeat(userId, connectionId, this.now());
    if (verdict === 'stale') throw new StaleConnectionError();
    enforceBudget(verdict);
  }

  /** Counts a frame no route matched against its connection's budget (the caller answers it with an error frame). */
  async countMessage(userId: string, connectionId: string): Promise<MessageVerdict> {
    const verdict = await this.store.countMessage(userId, connectionId);
    enforceBudget(verdict);
    return verdict;
  }

  /**
   * Stores what the user is looking at (after their sharing rules) and tells
   * every connection of every online friend, and the user's own connections.
   * The page is stored whatever the budgets say; the fan-out happens now when
   * the user's budget allows and no other fan-out of theirs is in flight,
   * else the latest page goes out after it (or with the next sweep).
   */
  async updatePresence(userId: string, connectionId: string, url: string, title: string): Promise<{ sent: number; deferred: boolean }> {
    const context = await this.directory.userContext(userId);
    const page = visiblePage(context.sharing, url, title);
    const result = await this.store.updatePage(userId, connectionId, this.now(), page);
    if (!result.stored) {
      if (result.verdict === 'stale') throw new StaleConnectionError();
      return { sent: 0, deferred: false };
    }
    if (!result.fanOut) count(Metric.DeferredUpdates);
    enforceBudget(result.verdict);
    if (!result.fanOut) return { sent: 0, deferred: true };
    return { sent: await this.fanOutWhileLeased(userId, context.friendIds, result.fanOut), deferred: false };
  }

  /**
   * Pushes a page while holding the user's push lease, then releases it; when a newer page was stored
   * meanwhile and the budget allows, pushes that one too (latest only, in order), and so on.
   */
  private async fanOutWhileLeased(userId: string, friendIds: readonly string[], first: FanOutPage): Promise<number> {
    let sent = 0;
    for (let next: FanOutPage | null = first; next;) {
      const now = this.now();
      const friendConnections = await this.store.connectionsOf(friendIds, now);
      const targets = updateTargets(userId, next.ownConnections, friendIds, friendConnections);
      sent += await this.push(targets, updatePresenceMessage(userId, next.page, next.latest));
      next = await this.store.releasePush(userId, this.now(), true);
    }
    return sent;
  }

  /**
   * Removes the connection; when it was the user's last, friends learn the user went offline. Redis
   * keeps the user pending until they are told, so if telling them fails the sweep does it.
   */
  async disconnect(userId: string, connectionId: string): Promise<{ wentOffline: boolean; sent: number }> {
    const now = this.now();
    const result = await this.store.disconnect(userId, connectionId, now);
    if (result === 'unchanged') return { wentOffline: false, sent: 0 };
    if (result === 'was-unknown')
      logger.warn('Redis did not know a user who disconnected (its data was lost); telling friends', { userId });
    const { friendIds } = await this.directory.userContext(userId);
    const sent = await this.notifyFriends(friendIds, presenceTimeoutMessage(userId), now);
    await this.store.friendsTold(userId);
    return { wentOffline: true, sent };
  }

  /** Best effort: an error frame to the connection that sent a bad message. */
  async sendError(connectionId: string, message: string): Promise<void> {
    try {
      await this.gateway.post(connectionId, Buffer.from(JSON.stringify(errorMessage(message))));
    } catch (error) {
      logger.warn('error frame not delivered', { connectionId, error: String(error) });
    }
  }

  /** Cuts a connection that is not registered (e.g. after a timeout) so the client reconnects. */
  async closeConnection(connectionId: string): Promise<void> {
    try {
      await this.gateway.close(connectionId);
    } catch (error) {
      logger.warn('close failed', { connectionId, error: String(error) });
    }
  }

  async snapshot(userId: string): Promise<PresenceSnapshot> {
    // The (briefly cached) friend list lets the profiles query and the Redis read run in parallel;
    // the query stays authoritative, and a friend the cache did not know yet is read afterwards.
    const { friendIds: knownFriends } = await this.directory.userContext(userId);
    const [{ self, friends }, presence] = await Promise.all([
      this.directory.profilesWithFriends(userId),
      this.store.snapshot([userId, ...knownFriends]),
    ]);
    const friendIds = friends.map((friend) => friend.user_id);
    const unknown = friendIds.filter((id) => !presence.has(id));
    if (unknown.length > 0) for (const [id, entry] of await this.store.snapshot(unknown)) presence.set(id, entry);
    const userInfoMap: Record<string, UserProfile> = {};
    if (self) userInfoMap[userId] = self;
    for (const friend of friends) userInfoMap[friend.user_id] = friend;
    return {
      userPresence: entry(userId, presence.get(userId)),
      presenceArr: friendIds.map((id) => entry(id, presence.get(id))),
      userInfoMap,
    };
  }

  /** The target's current page (null when offline); only for the user and accepted friends. */
  async pageOf(callerId: string, targetId: string): Promise<Page | null> {
    if (callerId !== targetId) {
      const { friendIds } = await this.directory.userContext(callerId);
      if (!friendIds.includes(targetId)) throw new ForbiddenError('Not an accepted friend');
    }
    const presence = (await this.store.snapshot([targetId])).get(targetId);
    return presence?.page ?? null;
  }

  /** Tells the online friends (every live connection) a message; offline friends cost one lookup in the same pipeline. */
  async notifyFriends(friendIds: readonly string[], message: ServerMessage, now = this.now()): Promise<number> {
    const connections = await this.store.connectionsOf(friendIds, now);
    return this.push(connectionTargets(friendIds, connections), message);
  }

  private async push(targets: ConnectionRef[], message: ServerMessage): Promise<number> {
    const report = await fanOut(this.gateway, targets, message, this.pushConcurrency);
    if (report.gone.length > 0) {
      await this.store.removeConnections(report.gone, this.now()).catch((error: unknown) => {
        logger.warn('stale connection cleanup failed', { error: String(error) });
      });
    }
    return report.sent;
  }
}
