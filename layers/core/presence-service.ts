import type { PresenceConfig } from './config';
import { ForbiddenError, RateLimitedError, StaleConnectionError } from './errors';
import { logger } from './logger';
import { count, Metric } from './metrics';
import {
  errorMessage,
  presenceSnapshotMessages,
  presenceTimeoutMessage,
  subscribedMessage,
  updatePresenceMessage,
  type ServerMessage,
} from './messages';
import {
  LEVEL_RANK,
  type Clock,
  type ConnectionActivity,
  type ConnectionRef,
  type FanOutPage,
  type MessageVerdict,
  type Page,
  type PresenceEntry,
  type PresenceSnapshot,
  type SubscriptionLevel,
  type UserPresence,
  type UserProfile,
} from './model';
import type { ConnectionGateway } from './ports/connection-gateway';
import type { FriendDirectory } from './ports/friend-directory';
import type { PresenceStore } from './ports/presence-store';
import { visiblePage } from './privacy';
import { encode, fanOut } from './push/fan-out';
import { connectionTargets, updateTargets } from './push/targets';

export interface PresenceServiceDeps {
  store: PresenceStore;
  directory: FriendDirectory;
  gateway: ConnectionGateway;
  settings: Pick<PresenceConfig, 'pushConcurrency' | 'offlineGraceMs'>;
  clock?: Clock;
}

/** A raised level is answered with a snapshot, and so is a connection's first subscribe (it starts at pages). */
const RANK: Record<SubscriptionLevel | 'default', number> = { ...LEVEL_RANK, default: -1 };

/** What a subscribe did: the level now, and the snapshot frames sent after `subscribed` (0 when not raised). */
export interface SubscribeOutcome {
  level: SubscriptionLevel;
  snapshotFrames: number;
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
    at: presence?.at ?? 0,
  };
}

/** The domain operations behind every WebSocket route and REST endpoint. */
export class PresenceService {
  private readonly store: PresenceStore;
  private readonly directory: FriendDirectory;
  private readonly gateway: ConnectionGateway;
  private readonly pushConcurrency: number;
  private readonly offlineGraceMs: number;
  private readonly now: Clock;

  constructor(deps: PresenceServiceDeps) {
    this.store = deps.store;
    this.directory = deps.directory;
    this.gateway = deps.gateway;
    this.pushConcurrency = deps.settings.pushConcurrency;
    this.offlineGraceMs = deps.settings.offlineGraceMs;
    this.now = deps.clock ?? Date.now;
  }


  /**
   * Registers the connection and marks the user active, so a silent client still times out. When the
   * user came online, friends are told at once (an update-presence with no page shared yet and the
   * latest shared page), so they show the user online before the first update. That is best effort:
   * a failure there never refuses the connection; the sweep then sends it.
   */
  async connect(userId: string, connection: ConnectionActivity): Promise<{ cameOnline: boolean; sent: number }> {
    const { cameOnline, fanOut } = await this.store.connect(userId, connection, this.now());
    let sent = 0;
    if (fanOut) {
      try {
        const { friendIds } = await this.directory.userContext(userId);
        sent = await this.fanOutWhileLeased(userId, friendIds, fanOut, 'status');
      } catch (error) {
        logger.warn('came-online push failed; the sweep sends it', {
          userId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return { cameOnline, sent };
  }

  async heartbeat(userId: string, connection: ConnectionActivity): Promise<void> {
    const verdict = await this.store.heartbeat(userId, connection, this.now());
    if (verdict === 'stale') throw new StaleConnectionError();
    enforceBudget(verdict);
  }

  /**
   * Sets what the connection is pushed and answers `subscribed`; a raised level (or the connection's
   * first subscribe) then gets the snapshot GET /presence would answer, in frames of at most 32 KB. The
   * level is stored first, so every change after the snapshot's read is pushed; a push of a change made
   * during the read may overtake the snapshot, and carries a newer `at`, which clients keep.
   */
  async subscribe(userId: string, connection: ConnectionActivity, level: SubscriptionLevel): Promise<SubscribeOutcome> {
    const result = await this.store.subscribe(userId, connection, this.now(), level);
    if (!result.stored) {
      if (result.verdict === 'stale') throw new StaleConnectionError();
      return { level, snapshotFrames: 0 };
    }
    enforceBudget(result.verdict);
    await this.post(connection.connectionId, subscribedMessage(level));
    if (RANK[level] <= RANK[result.previous] || level === 'none') return { level, snapshotFrames: 0 };
    const frames = presenceSnapshotMessages(await this.snapshot(userId), `${connection.connectionId}:${this.now()}`);
    for (const frame of frames) await this.post(connection.connectionId, frame);
    return { level, snapshotFrames: frames.length };
  }

  /** One frame to one connection, in order with the caller's others (a gone connection just ends there). */
  private async post(connectionId: string, message: ServerMessage): Promise<void> {
    await this.gateway.post(connectionId, encode(message));
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
  async updatePresence(
    userId: string,
    connection: ConnectionActivity,
    url: string,
    title: string,
  ): Promise<{ sent: number; deferred: boolean }> {
    const context = await this.directory.userContext(userId);
    const page = visiblePage(context.sharing, url, title);
    const result = await this.store.updatePage(userId, connection, this.now(), page);
    if (!result.stored) {
      if (result.verdict === 'stale') throw new StaleConnectionError();
      return { sent: 0, deferred: false };
    }
    if (!result.fanOut) count(Metric.DeferredUpdates);
    enforceBudget(result.verdict);
    if (!result.fanOut) return { sent: 0, deferred: true };
    return { sent: await this.fanOutWhileLeased(userId, context.friendIds, result.fanOut, 'pages'), deferred: false };
  }

  /**
   * Pushes a page while holding the user's push lease, then releases it; when a newer page was stored
   * meanwhile and the budget allows, pushes that one too (latest only, in order), and so on.
   */
  private async fanOutWhileLeased(
    userId: string,
    friendIds: readonly string[],
    first: FanOutPage,
    firstLevel: 'pages' | 'status',
  ): Promise<number> {
    let sent = 0;
    let level = firstLevel;
    for (let next: FanOutPage | null = first; next; level = 'pages') {
      const now = this.now();
      const friendConnections = await this.store.connectionsOf(friendIds, now, level);
      const targets = updateTargets(userId, next.ownConnections, friendIds, friendConnections);
      sent += await this.push(targets, updatePresenceMessage(userId, next.page, next.latest, next.at));
      next = await this.store.releasePush(userId, this.now(), true);
    }
    return sent;
  }

  /**
   * Removes the connection. When it was the user's last: with an offline grace (OFFLINE_GRACE_SECONDS),
   * the user is leaving, and the sweep tells friends once the grace ends unless a connection returns
   * first (a reconnect then makes no push at all); without one, friends learn at once that the user went
   * offline. Redis keeps the user pending until they are told, so if telling them fails the sweep does it.
   */
  async disconnect(userId: string, connectionId: string): Promise<{ wentOffline: boolean; leaving: boolean; sent: number }> {
    const now = this.now();
    const result = await this.store.disconnect(userId, connectionId, now, this.offlineGraceMs);
    if (result === 'unchanged') return { wentOffline: false, leaving: false, sent: 0 };
    if (result === 'leaving') return { wentOffline: false, leaving: true, sent: 0 };
    if (result === 'was-unknown')
      logger.warn('Redis did not know a user who disconnected (its data was lost); telling friends', { userId });
    const { friendIds } = await this.directory.userContext(userId);
    const sent = await this.notifyFriends(friendIds, presenceTimeoutMessage(userId, now), now);
    await this.store.friendsTold(userId);
    return { wentOffline: true, leaving: false, sent };
  }

  /** Best effort: an error frame to the connection that sent a bad message. */
  async sendError(connectionId: string, message: string): Promise<void> {
    try {
      await this.post(connectionId, errorMessage(message));
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

  /** Tells the online friends (every live connection subscribed to status) a message; offline friends cost one lookup in the same call. */
  async notifyFriends(friendIds: readonly string[], message: ServerMessage, now = this.now()): Promise<number> {
    const connections = await this.store.connectionsOf(friendIds, now, 'status');
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
