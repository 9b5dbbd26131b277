import { Cluster, type ClientContext, type Result } from 'ioredis';
import type { RateLimits } from '../config';
import { ServiceUnavailableError } from '../errors';
import type { KeySpace } from '../keys';
import { HIDDEN_PAGE, type ConnectionRef, type FanOutPage, type MessageVerdict, type Page, type UserPresence } from '../model';
import {
  HANDSHAKE_GRACE_MS,
  type ConnectResult,
  type DeferredFanOut,
  type DisconnectResult,
  type PageUpdateResult,
  type PresenceStore,
} from '../ports/presence-store';
import type { RedisClient } from './client';
import { isRedisOutage } from './failures';
import {
  CLAIM_DEFERRED,
  CLAIM_STALE,
  CLEAR_PENDING,
  CONNECT,
  COUNT_MESSAGE,
  DISCONNECT,
  HEARTBEAT,
  LIVE_CONNECTIONS,
  RELEASE_PUSH,
  REMOVE_GONE,
  SNAPSHOT,
  UPDATE_PAGE,
} from './scripts';

const VERDICTS: Record<number, MessageVerdict> = { 1: 'ok', 2: 'limited', 3: 'limited-quietly', 4: 'close', 5: 'closed' };

export interface StoreSettings {
  connectionMaxAgeMs: number;
  lastSeenRetentionMs: number;
  /** A page outlives its last refresh by this much, so an abandoned hash cannot leak. */
  pageTtlMs: number;
  limits: RateLimits;
  /** How long one fan-out may hold a user's push lease before the sweep takes over (longer than a function's timeout). */
  pushLeaseMs: number;
  /** Cluster clients queue commands while no node is reachable; this bounds that wait (standalone clients time out by themselves). */
  commandDeadlineMs?: number;
}

/** Budgets generous enough that tests of other behaviour never meet them. */
export const UNLIMITED: RateLimits = {
  messagesPerWindow: 1_000_000,
  messageWindowMs: 60_000,
  floodCloseAfter: 1_000_000,
  fanOutBurst: 1_000_000,
  fanOutIntervalMs: 1,
};

/** Every script, by the name of the client command that runs it (ioredis's defineCommand). */
const SCRIPTS = {
  presenceConnect: CONNECT,
  presenceHeartbeat: HEARTBEAT,
  presenceCountMessage: COUNT_MESSAGE,
  presenceUpdatePage: UPDATE_PAGE,
  presenceReleasePush: RELEASE_PUSH,
  presenceClaimDeferred: CLAIM_DEFERRED,
  presenceDisconnect: DISCONNECT,
  presenceClearPending: CLEAR_PENDING,
  presenceRemoveGone: REMOVE_GONE,
  presenceClaimStale: CLAIM_STALE,
  presenceSnapshot: SNAPSHOT,
  presenceLiveConnections: LIVE_CONNECTIONS,
} as const;
type ScriptName = keyof typeof SCRIPTS;
type ScriptArg = string | number;

/** Each script takes its number of keys first, then its keys and arguments (`EVALSHA sha numkeys ...`). */
type ScriptCommands<Context extends ClientContext> = {
  [Name in ScriptName]: (numKeys: number, ...keysAndArgs: ScriptArg[]) => Result<unknown, Context>;
};

declare module 'ioredis' {
  // The commands defineScripts adds, typed on clients and their pipelines alike.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface RedisCommander<Context> extends ScriptCommands<Context> {}
}

/**
 * Defines every script as a command of the client. ioredis then sends EVALSHA (EVAL on a connection's
 * first call), resends as EVAL when Redis answers NOSCRIPT (restarted, failed over, SCRIPT FLUSH), also
 * for a call inside a pipeline, and on a cluster routes each call by its first key. The client must not
 * have an ioredis keyPrefix: KeySpace already prefixes every key, and ioredis would prefix them again.
 */
function defineScripts(redis: RedisClient): void {
  if (redis.options.keyPrefix) throw new Error('RedisPresenceStore needs a Redis client without keyPrefix: KeySpace prefixes every key');
  for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { lua });
}

function pairsToMap(flat: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i]!, flat[i + 1]!);
  return map;
}

function splitConnections(joined: string): string[] {
  return joined ? joined.split(',') : [];
}

function outage(error: unknown): never {
  throw isRedisOutage(error) ? new ServiceUnavailableError('redis', error) : error;
}

/**
 * Rejects as a command timeout once `ms` have passed. A cluster client queues commands while it reaches
 * no node at all, and no timeout of its own covers that queue (a node's commandTimeout starts once the
 * command reaches the node).
 */
function beforeDeadline<T>(pending: Promise<T>, ms: number): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const expired = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(new Error('Command timed out')), { once: true });
  });
  return Promise.race([pending, expired]);
}

function page(url: string, title: string, domain: string): Page {
  return { url, title, domain };
}

/** Decodes { url, title, domain, latestUrl, latestTitle, latestDomain, connections } from a script reply. */
function fanOutPage(reply: unknown[], at: number): FanOutPage {
  const [u, t, d, lu, lt, ld, connections] = reply.slice(at, at + 7) as [string, string, string, string, string, string, string[]];
  return { page: page(u, t, d), latest: page(lu, lt, ld), ownConnections: connections };
}

/**
 * The PresenceStore in Redis (key layout: keys.ts). Each state change of one user is a single
 * script call (one round trip, scripts.ts); a read over many users is one round trip too (one call,
 * or one call per hash slot: in one pipeline on a single node, in parallel on a cluster). Connection
 * failures and timeouts surface as ServiceUnavailableError; anything else (a broken script) as itself.
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly budget: [number, number, number];
  private readonly fanOutBudget: [number, number, number];

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
    private readonly settings: StoreSettings,
  ) {
    defineScripts(redis);
    const { limits } = settings;
    this.budget = [limits.messagesPerWindow, limits.messageWindowMs, limits.floodCloseAfter];
    this.fanOutBudget = [limits.fanOutIntervalMs, limits.fanOutIntervalMs * limits.fanOutBurst, settings.pushLeaseMs];
  }

  /** Every call goes through here: typed outages, and a bounded wait where the client has none of its own. */
  private call<T>(pending: Promise<T>): Promise<T> {
    const deadline = this.settings.commandDeadlineMs;
    return (deadline ? beforeDeadline(pending, deadline) : pending).catch(outage);
  }

  private run(name: ScriptName, numKeys: number, ...args: ScriptArg[]): Promise<unknown> {
    return this.call(this.redis[name](numKeys, ...args));
  }

  private userKeys(userId: string): [string, string, string] {
    const shard = this.keys.shardOf(userId);
    return [this.keys.status(shard), this.keys.connections(userId, shard), this.keys.page(userId, shard)];
  }

  // The contract of each operation is documented on the PresenceStore port; here, how Redis does it.

  async connect(userId: string, connectionId: string, connectedAt: number, now: number): Promise<ConnectResult> {
    const expiresAt = connectedAt + this.settings.connectionMaxAgeMs;
    const shard = this.keys.shardOf(userId);
    const reply = (await this.run(
      'presenceConnect',
      4,
      ...this.userKeys(userId),
      this.keys.deferred(shard),
      userId,
      connectionId,
      now,
      expiresAt,
      this.settings.pageTtlMs,
      ...this.fanOutBudget,
    )) as unknown[];
    if (reply[0] !== 1) return { cameOnline: false, fanOut: null };
    const [, push, lu, lt, ld] = reply as [number, number, string, string, string];
    return { cameOnline: true, fanOut: push === 1 ? { page: HIDDEN_PAGE, latest: page(lu, lt, ld), ownConnections: [] } : null };
  }

  async heartbeat(userId: string, connectionId: string, now: number): Promise<MessageVerdict | 'stale'> {
    const shard = this.keys.shardOf(userId);
    const result = (await this.run(
      'presenceHeartbeat',
      3,
      this.keys.status(shard),
      this.keys.connections(userId, shard),
      this.keys.messageCount(userId, connectionId, shard),
      userId,
      connectionId,
      now,
      ...this.budget,
    )) as number;
    return VERDICTS[result] ?? 'stale';
  }

  async countMessage(userId: string, connectionId: string): Promise<MessageVerdict> {
    const result = (await this.run('presenceCountMessage', 1, this.keys.messageCount(userId, connectionId), ...this.budget)) as number;
    return VERDICTS[result]!;
  }

  async updatePage(userId: string, connectionId: string, now: number, visible: Page): Promise<PageUpdateResult> {
    const shard = this.keys.shardOf(userId);
    const reply = (await this.run(
      'presenceUpdatePage',
      5,
      this.keys.status(shard),
      this.keys.connections(userId, shard),
      this.keys.page(userId, shard),
      this.keys.messageCount(userId, connectionId, shard),
      this.keys.deferred(shard),
      userId,
      connectionId,
      now,
      visible.url,
      visible.title,
      visible.domain,
      this.settings.pageTtlMs,
      ...this.budget,
      ...this.fanOutBudget,
    )) as unknown[];
    const verdict = VERDICTS[reply[0] as number];
    if (!verdict) return { stored: false, verdict: 'stale' };
    if (verdict === 'closed') return { stored: false, verdict };
    const [, push, lu, lt, ld, connections] = reply as [number, number, string, string, string, string[]];
    return { stored: true, verdict, fanOut: push === 1 ? { page: visible, latest: page(lu, lt, ld), ownConnections: connections } : null };
  }

  async releasePush(userId: string, now: number, mayPushAgain: boolean): Promise<FanOutPage | null> {
    const shard = this.keys.shardOf(userId);
    const reply = (await this.run(
      'presenceReleasePush',
      4,
      this.keys.status(shard),
      this.keys.connections(userId, shard),
      this.keys.page(userId, shard),
      this.keys.deferred(shard),
      userId,
      now,
      ...this.fanOutBudget,
      mayPushAgain ? 1 : 0,
    )) as unknown[];
    return reply[0] === 1 ? fanOutPage(reply, 1) : null;
  }

  /** A read of the due users, then one script call claiming those still due. */
  async claimDeferred(shard: number, now: number, limit: number): Promise<DeferredFanOut[]> {
    const deferred = this.keys.deferred(shard);
    const due = await this.call(this.redis.zrangebyscore(deferred, '-inf', now, 'LIMIT', 0, limit));
    if (due.length === 0) return [];
    const keys = [this.keys.status(shard), deferred];
    for (const userId of due) keys.push(this.keys.connections(userId, shard), this.keys.page(userId, shard));
    const [interval, , leaseMs] = this.fanOutBudget;
    const claimed = (await this.run('presenceClaimDeferred', keys.length, ...keys, now, interval, leaseMs, ...due)) as unknown[][];
    return claimed.map((reply) => ({ userId: reply[0] as string, ...fanOutPage(reply, 1) }));
  }

  async disconnect(userId: string, connectionId: string, now: number): Promise<DisconnectResult> {
    const shard = this.keys.shardOf(userId);
    const result = await this.run(
      'presenceDisconnect',
      6,
      this.keys.status(shard),
      this.keys.connections(userId, shard),
      this.keys.page(userId, shard),
      this.keys.lastSeen(shard),
      this.keys.pending(shard),
      this.keys.deferred(shard),
      userId,
      connectionId,
      now,
      this.settings.lastSeenRetentionMs,
    );
    return result === 1 ? 'went-offline' : result === 2 ? 'was-unknown' : 'unchanged';
  }

  /** One script call per user: a connection's score is its expiry, so "registered within the grace" is a score bound. */
  async removeConnections(refs: readonly ConnectionRef[], now: number): Promise<void> {
    if (refs.length === 0) return;
    const byUser = new Map<string, string[]>();
    for (const { userId, connectionId } of refs) {
      const list = byUser.get(userId);
      if (list) list.push(connectionId);
      else byUser.set(userId, [connectionId]);
    }
    const removeIfExpiresBefore = now - HANDSHAKE_GRACE_MS + this.settings.connectionMaxAgeMs;
    await Promise.all(
      [...byUser].map(([userId, connectionIds]) =>
        this.run('presenceRemoveGone', 1, this.keys.connections(userId), removeIfExpiresBefore, ...connectionIds),
      ),
    );
  }

  /** One script call on a single Redis; one per shard on a cluster. */
  async connectionsOf(userIds: readonly string[], now: number): Promise<Map<string, string[]>> {
    const connections = new Map<string, string[]>();
    if (userIds.length === 0) return connections;
    const decode = (reply: unknown) => {
      for (const [userId, joined] of pairsToMap(reply as string[])) connections.set(userId, splitConnections(joined));
    };
    if (!(this.redis instanceof Cluster)) {
      // A single Redis has no hash slots to respect, and this script only reads each key on its own, so
      // every user goes into one call: one command instead of one per shard (a fan-out's biggest cost in
      // client CPU after the posts). A cluster gets one call per shard, below.
      const ids = [...new Set(userIds)];
      const keys = ids.map((userId) => this.keys.connections(userId));
      decode(await this.run('presenceLiveConnections', keys.length, ...keys, now, ...ids));
      return connections;
    }
    await this.perShard(
      userIds,
      (shard, ids) => {
        const keys = ids.map((userId) => this.keys.connections(userId, shard));
        return ['presenceLiveConnections', keys.length, ...keys, now, ...ids];
      },
      (_ids, reply) => decode(reply),
    );
    return connections;
  }

  /** One script call per shard. */
  async snapshot(userIds: readonly string[]): Promise<Map<string, UserPresence>> {
    const presence = new Map<string, UserPresence>();
    await this.perShard(
      userIds,
      (shard, ids) => {
        const keys = [this.keys.status(shard), this.keys.lastSeen(shard), ...ids.map((userId) => this.keys.page(userId, shard))];
        return ['presenceSnapshot', keys.length, ...keys, ...ids];
      },
      (ids, reply) => {
        const flat = reply as string[];
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
      },
    );
    return presence;
  }

  // --- timeout sweep -------------------------------------------------------

  async staleCandidates(shard: number, cutoff: number, limit: number): Promise<string[]> {
    return this.call(this.redis.zrangebyscore(this.keys.status(shard), '-inf', cutoff, 'LIMIT', 0, limit));
  }

  async claimStale(shard: number, candidates: readonly string[], cutoff: number, now: number): Promise<Map<string, string[]>> {
    const keys = [this.keys.status(shard), this.keys.lastSeen(shard), this.keys.pending(shard), this.keys.deferred(shard)];
    for (const userId of candidates) keys.push(this.keys.connections(userId, shard), this.keys.page(userId, shard));
    const flat = (await this.run(
      'presenceClaimStale',
      keys.length,
      ...keys,
      cutoff,
      now,
      this.settings.lastSeenRetentionMs,
      ...candidates,
    )) as string[];
    return new Map([...pairsToMap(flat)].map(([userId, joined]) => [userId, splitConnections(joined)]));
  }

  async pending(shard: number): Promise<Map<string, string[]>> {
    const entries = await this.call(this.redis.hgetall(this.keys.pending(shard)));
    return new Map(Object.entries(entries).map(([userId, joined]) => [userId, splitConnections(joined)]));
  }

  async onlineAmong(shard: number, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const scores = await this.call(this.redis.zmscore(this.keys.status(shard), ...userIds));
    return new Set(userIds.filter((_, i) => scores[i] !== null));
  }

  async clearPending(shard: number, entries: ReadonlyMap<string, readonly string[]>): Promise<void> {
    if (entries.size === 0) return;
    const args = [...entries].flatMap(([userId, connections]) => [userId, connections.join(',')]);
    await this.run('presenceClearPending', 1, this.keys.pending(shard), ...args);
  }

  friendsTold(userId: string): Promise<void> {
    return this.clearPending(this.keys.shardOf(userId), new Map([[userId, []]]));
  }

  /**
   * One script call per shard for the users of that shard. On a single node they go out as one
   * pipeline (one write, one round trip); on a cluster each goes to its node, all in parallel. Every
   * call touches one hash slot.
   */
  private async perShard(
    userIds: readonly string[],
    build: (shard: number, ids: string[]) => [ScriptName, number, ...ScriptArg[]],
    decode: (ids: string[], reply: unknown) => void,
  ): Promise<void> {
    if (userIds.length === 0) return;
    const groups = [...this.keys.groupByShard(new Set(userIds))];
    const calls = groups.map(([shard, ids]) => build(shard, ids));
    if (this.redis instanceof Cluster || calls.length === 1) {
      const replies = await Promise.all(calls.map(([name, numKeys, ...args]) => this.run(name, numKeys, ...args)));
      replies.forEach((reply, i) => decode(groups[i]![1], reply));
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const [name, numKeys, ...args] of calls) pipeline[name](numKeys, ...args);
    const replies = (await this.call(pipeline.exec())) ?? [];
    replies.forEach(([error, reply], i) => {
      if (error) outage(error);
      decode(groups[i]![1], reply);
    });
  }
}
