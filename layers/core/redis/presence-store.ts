import type { KeySpace } from '../keys';
import type { Page } from '../privacy';
import type { RedisClient } from './client';
import { CLAIM_STALE, CONNECT, DISCONNECT, HEARTBEAT, LIVE_CONNECTIONS, SNAPSHOT, UPDATE_PAGE } from './scripts';

export interface ConnectionRef {
  userId: string;
  connectionId: string;
}

export interface UserPresence {
  online: boolean;
  /** Last activity (ms) while online. */
  lastActiveAt: number | null;
  /** Current page while online ({"","",""} when hidden or not yet known); null offline. */
  page: Page | null;
  /** Most recent page the user did share during this session; null when none. */
  latestPage: Page | null;
  /** When the user went offline (ms), within the retention window; null when online or unknown. */
  lastSeenAt: number | null;
}

export interface PageUpdateResult {
  latest: Page;
  ownConnections: string[];
}

export interface StoreTimings {
  connectionMaxAgeMs: number;
  lastSeenRetentionMs: number;
  /** A page outlives its last refresh by this much, so an abandoned hash cannot leak. */
  pageTtlMs: number;
}

type ScriptCommand = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;
type ScriptName =
  | 'presenceConnect'
  | 'presenceHeartbeat'
  | 'presenceUpdatePage'
  | 'presenceDisconnect'
  | 'presenceClaimStale'
  | 'presenceSnapshot'
  | 'presenceLiveConnections';

const SCRIPTS: Record<ScriptName, string> = {
  presenceConnect: CONNECT,
  presenceHeartbeat: HEARTBEAT,
  presenceUpdatePage: UPDATE_PAGE,
  presenceDisconnect: DISCONNECT,
  presenceClaimStale: CLAIM_STALE,
  presenceSnapshot: SNAPSHOT,
  presenceLiveConnections: LIVE_CONNECTIONS,
};

function pairsToMap(flat: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i]!, flat[i + 1]!);
  return map;
}

function splitConnections(joined: string): string[] {
  return joined ? joined.split(',') : [];
}

/**
 * All presence state in Redis. Each state change of one user is a single
 * script call (one round trip); reads over many users are one pipeline per
 * hash slot, sent in parallel.
 */
export class PresenceStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
    private readonly timings: StoreTimings,
  ) {
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { lua });
    }
  }

  private script(name: ScriptName): ScriptCommand {
    return (this.redis as unknown as Record<ScriptName, ScriptCommand>)[name].bind(this.redis);
  }

  private userKeys(userId: string): [string, string, string] {
    const shard = this.keys.shardOf(userId);
    return [this.keys.status(shard), this.keys.connections(userId, shard), this.keys.page(userId, shard)];
  }

  /** Registers a connection and marks the user active now. Resolves true when the user came online. */
  async connect(userId: string, connectionId: string, connectedAt: number, now: number): Promise<boolean> {
    const expiresAt = connectedAt + this.timings.connectionMaxAgeMs;
    const result = await this.script('presenceConnect')(
      3,
      ...this.userKeys(userId),
      userId,
      connectionId,
      now,
      expiresAt,
      this.timings.pageTtlMs,
    );
    return result === 1;
  }

  /** Refreshes the user's activity. False when the connection is not registered (timed out or closed). */
  async heartbeat(userId: string, connectionId: string, now: number): Promise<boolean> {
    const result = await this.script('presenceHeartbeat')(3, ...this.userKeys(userId), userId, connectionId, now, this.timings.pageTtlMs);
    return result === 1;
  }

  async updatePage(userId: string, connectionId: string, now: number, page: Page): Promise<PageUpdateResult | null> {
    const result = (await this.script('presenceUpdatePage')(
      3,
      ...this.userKeys(userId),
      userId,
      connectionId,
      now,
      page.url,
      page.title,
      page.domain,
      this.timings.pageTtlMs,
    )) as [string, string, string, string[]] | null;
    if (!result) return null;
    const [url, title, domain, ownConnections] = result;
    return { latest: { url, title, domain }, ownConnections };
  }

  /** Removes one connection; resolves true only when that made the user go offline. */
  async disconnect(userId: string, connectionId: string, now: number): Promise<boolean> {
    const shard = this.keys.shardOf(userId);
    const result = await this.script('presenceDisconnect')(
      4,
      this.keys.status(shard),
      this.keys.connections(userId, shard),
      this.keys.page(userId, shard),
      this.keys.lastSeen(shard),
      userId,
      connectionId,
      now,
      this.timings.lastSeenRetentionMs,
    );
    return result === 1;
  }

  /**
   * Compare-and-delete of connections API Gateway reported gone: removes
   * exactly those ids, never a newer connection of the same user.
   */
  async removeConnections(refs: readonly ConnectionRef[]): Promise<void> {
    if (refs.length === 0) return;
    const byUser = new Map<string, string[]>();
    for (const { userId, connectionId } of refs) {
      const list = byUser.get(userId);
      if (list) list.push(connectionId);
      else byUser.set(userId, [connectionId]);
    }
    await Promise.all([...byUser].map(([userId, connectionIds]) => this.redis.zrem(this.keys.connections(userId), ...connectionIds)));
  }

  /** Live connection ids of those users who have any; offline users are simply absent. One script call per shard. */
  async connectionsOf(userIds: readonly string[], now: number): Promise<Map<string, string[]>> {
    const connections = new Map<string, string[]>();
    await this.perShard(userIds, async (shard, ids) => {
      const keys = ids.map((userId) => this.keys.connections(userId, shard));
      const flat = (await this.script('presenceLiveConnections')(keys.length, ...keys, now, ...ids)) as string[];
      for (const [userId, joined] of pairsToMap(flat)) connections.set(userId, splitConnections(joined));
    });
    return connections;
  }

  /** The presence of many users (a user and all friends): one script call per shard. */
  async snapshot(userIds: readonly string[]): Promise<Map<string, UserPresence>> {
    const presence = new Map<string, UserPresence>();
    await this.perShard(userIds, async (shard, ids) => {
      const keys = [this.keys.status(shard), this.keys.lastSeen(shard), ...ids.map((userId) => this.keys.page(userId, shard))];
      const flat = (await this.script('presenceSnapshot')(keys.length, ...keys, ...ids)) as string[];
      ids.forEach((userId, i) => {
        const [lastActive, lastSeen, u, t, d, lu, lt, ld] = flat.slice(i * 8, i * 8 + 8);
        const online = lastActive !== '';
        presence.set(userId, {
          online,
          lastActiveAt: online ? Number(lastActive) : null,
          page: online ? { url: u ?? '', title: t ?? '', domain: d ?? '' } : null,
          latestPage: online && lu ? { url: lu, title: lt ?? '', domain: ld ?? '' } : null,
          lastSeenAt: !online && lastSeen ? Number(lastSeen) : null,
        });
      });
    });
    return presence;
  }

  // --- timeout sweep -------------------------------------------------------

  async staleCandidates(shard: number, cutoff: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.status(shard), '-inf', cutoff, 'LIMIT', 0, limit);
  }

  /**
   * Atomically claims those candidates that are still stale and returns every
   * user of the shard awaiting notification (this claim's and any left by a
   * failed earlier attempt) with the connections they had.
   */
  async claimStale(shard: number, candidates: readonly string[], cutoff: number, now: number): Promise<Map<string, string[]>> {
    const keys = [this.keys.status(shard), this.keys.lastSeen(shard), this.keys.pending(shard)];
    for (const userId of candidates) keys.push(this.keys.connections(userId, shard), this.keys.page(userId, shard));
    const flat = (await this.script('presenceClaimStale')(
      keys.length,
      ...keys,
      cutoff,
      now,
      this.timings.lastSeenRetentionMs,
      ...candidates,
    )) as string[];
    return new Map([...pairsToMap(flat)].map(([userId, joined]) => [userId, splitConnections(joined)]));
  }

  async pending(shard: number): Promise<Map<string, string[]>> {
    const entries = await this.redis.hgetall(this.keys.pending(shard));
    return new Map(Object.entries(entries).map(([userId, joined]) => [userId, splitConnections(joined)]));
  }

  /** Which of these users of one shard are online again (reconnected since they were claimed). */
  async onlineAmong(shard: number, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const scores = await this.redis.zmscore(this.keys.status(shard), ...userIds);
    return new Set(userIds.filter((_, i) => scores[i] !== null));
  }

  async clearPending(shard: number, userIds: readonly string[]): Promise<void> {
    if (userIds.length > 0) await this.redis.hdel(this.keys.pending(shard), ...userIds);
  }

  /**
   * Runs one call per shard for the users of that shard, all in parallel. ioredis auto-pipelining
   * sends them in one write on a single node (one round trip) and one write per node on a cluster;
   * every call touches one hash slot.
   */
  private async perShard(userIds: readonly string[], call: (shard: number, ids: string[]) => Promise<void>): Promise<void> {
    if (userIds.length === 0) return;
    const groups = this.keys.groupByShard(new Set(userIds));
    await Promise.all([...groups].map(([shard, ids]) => call(shard, ids)));
  }
}
