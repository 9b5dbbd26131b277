import type { PresenceConfig } from './config';
import { ForbiddenError, StaleConnectionError } from './errors';
import type { FriendDirectory, UserProfile } from './db/friend-directory';
import { logger } from './logger';
import { errorMessage, presenceTimeoutMessage, updatePresenceMessage, type ServerMessage } from './messages';
import { visiblePage, type Page } from './privacy';
import type { ConnectionGateway } from './push/connection-gateway';
import { fanOut } from './push/fan-out';
import type { ConnectionRef, PresenceStore, UserPresence } from './redis/presence-store';

export type Clock = () => number;

export interface PresenceEntry {
  userId: string;
  page: Page | null;
  latestPage: Page | null;
  /** ISO time of the last activity while online; null offline. */
  lastActiveAt: string | null;
  /** ISO time the user went offline (bounded retention); null when online or unknown. */
  lastSeenAt: string | null;
}

export interface PresenceSnapshot {
  userPresence: PresenceEntry;
  presenceArr: PresenceEntry[];
  userInfoMap: Record<string, UserProfile>;
}

export interface PresenceServiceDeps {
  store: PresenceStore;
  directory: FriendDirectory;
  gateway: ConnectionGateway;
  settings: Pick<PresenceConfig, 'pushConcurrency'>;
  clock?: Clock;
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

  /** Registers the connection and marks the user active, so a silent client still times out. */
  async connect(userId: string, connectionId: string, connectedAt: number): Promise<void> {
    const cameOnline = await this.store.connect(userId, connectionId, connectedAt, this.now());
    logger.info('connected', { userId, connectionId, cameOnline });
  }

  async heartbeat(userId: string, connectionId: string): Promise<void> {
    if (!(await this.store.heartbeat(userId, connectionId, this.now()))) throw new StaleConnectionError();
  }

  /**
   * Stores what the user is looking at (after their sharing rules) and tells
   * every connection of every online friend, and the user's own connections.
   */
  async updatePresence(userId: string, connectionId: string, url: string, title: string): Promise<{ sent: number }> {
    const context = await this.directory.userContext(userId);
    const page = visiblePage(context.sharing, url, title);
    const now = this.now();
    const stored = await this.store.updatePage(userId, connectionId, now, page);
    if (!stored) throw new StaleConnectionError();
    const friendConnections = await this.store.connectionsOf(context.friendIds, now);
    const targets: ConnectionRef[] = stored.ownConnections.map((id) => ({ userId, connectionId: id }));
    for (const [friendId, ids] of friendConnections) {
      for (const id of ids) targets.push({ userId: friendId, connectionId: id });
    }
    const sent = await this.push(targets, updatePresenceMessage(userId, page, stored.latest));
    return { sent };
  }

  /** Removes the connection; when it was the user's last, friends learn the user went offline. */
  async disconnect(userId: string, connectionId: string): Promise<{ wentOffline: boolean }> {
    const now = this.now();
    const wentOffline = await this.store.disconnect(userId, connectionId, now);
    if (wentOffline) {
      const { friendIds } = await this.directory.userContext(userId);
      await this.notifyFriends(friendIds, presenceTimeoutMessage(userId), now);
    }
    logger.info('disconnected', { userId, connectionId, wentOffline });
    return { wentOffline };
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
    const targets: ConnectionRef[] = [];
    for (const [friendId, ids] of connections) for (const id of ids) targets.push({ userId: friendId, connectionId: id });
    return this.push(targets, message);
  }

  private async push(targets: ConnectionRef[], message: ServerMessage): Promise<number> {
    const report = await fanOut(this.gateway, targets, message, this.pushConcurrency);
    if (report.gone.length > 0) {
      await this.store.removeConnections(report.gone).catch((error: unknown) => {
        logger.warn('stale connection cleanup failed', { error: String(error) });
      });
    }
    return report.sent;
  }
}
