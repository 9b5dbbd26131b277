import { Cluster, type ClientContext, type Result } from 'ioredis';
import type { RateLimits } from '../config';
import { ServiceUnavailableError } from '../errors';
import type { KeySpace } from '../keys';
import {
  HIDDEN_PAGE,
  LEVEL_RANK,
  type ConnectionActivity,
  type ConnectionRef,
  type FanOutPage,
  type MessageVerdict,
  type Page,
  type SubscriptionLevel,
  type UserPresence,
} from '../model';
import {
  HANDSHAKE_GRACE_MS,
  type ConnectResult,
  type DeferredFanOut,
  type DisconnectResult,
  type PageUpdateResult,
  type PresenceStore,
  type SubscribeResult,
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
  SUBSCRIBE,
  UPDATE_PAGE,
} from './scripts';

const DISCONNECT_RESULTS: Record<number, DisconnectResult> = { 1: 'went-offline', 2: 'was-unknown', 3: 'leaving' };
const VERDICTS: Record<number, MessageVerdict> = { 1: 'ok', 2: 'limited', 3: 'limited-quietly', 4: 'close', 5: 'closed' };

/** A subscription level as the scripts store it (the first character of a cinfo entry), and back. */
const LEVEL_CODES: Record<SubscriptionLevel, string> = { pages: 'p', status: 's', none: 'n' };
const LEVELS_BY_CODE: Record<string, SubscriptionLevel | 'default'> = { p: 'pages', s: 'status', n: 'none', P: 'default' };

export interface StoreSettings {
  /** API Gateway closes a connection this long after it opened (its records never outlive it). */
  connectionMaxAgeMs: number;
  /**
   * The longest allowance any connection can have: a user with no due time (state written before due
   * times existed) is stale once their last activity is this old.
   */
  maxAllowanceMs: number;
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
  presenceSubscribe: SUBSCRIBE,
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

/** Decodes { url, title, domain, latestUrl, latestTitle, latestDomain, pt, connections } from a script reply. */
function fanOutPage(reply: unknown[], from: number): FanOutPage {
  const [u, t, d, lu, lt, ld, pt, connections] = reply.slice(from, from + 8) as [string, string, string, string, string, string, string, string[]];
  return { page: page(u, t, d), latest: page(lu, lt, ld), at: Number(pt) || 0, ownConnections: connections };
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

  /** status, due, conn, cinfo: the keys every script about a connection's activity takes first. */
  private activityKeys(userId: string, shard = this.keys.shardOf(userId)): [string, string, string, string] {
    return [this.keys.status(shard), this.keys.due(shard), this.keys.connections(userId, shard), this.keys.connectionInfo(userId, shard)];
  }

  /** When API Gateway closes the connection, and how long it may stay silent: what every activity script takes. */
  private lifetime(connection: ConnectionActivity): [number, number] {
    return [connection.connectedAt + this.settings.connectionMaxAgeMs, connection.allowanceMs];
  }

  // The contract of each operation is documented on the PresenceStore port; here, how Redis does it.

  async connect(userId: string, connection: ConnectionActivity, now: number): Promise<ConnectResult> {
    const shard = this.keys.shardOf(userId);
    const [expiresAt, allowanceMs] = this.lifetime(connection);
    const reply = (await this.run(
      'presenceConnect',
      6,
      ...this.activityKeys(userId, shard),
      this.keys.page(userId, shard),
      this.keys.deferred(shard),
      userId,
      connection.connectionId,
      now,
      expiresAt,
      this.settings.pageTtlMs,
      ...this.fanOutBudget,
      allowanceMs,
      connection.connectedAt,
    )) as unknown[];
    if (reply[0] !== 1) return { cameOnline: false, fanOut: null };
    const [, push, lu, lt, ld] = reply as [number, number, string, string, string];
    return { cameOnline: true, fanOut: push === 1 ? { page: HIDDEN_PAGE, latest: page(lu, lt, ld), at: now, ownConnections: [] } : null };
  }

  async heartbeat(userId: string, connection: ConnectionActivity, now: number): Promise<MessageVerdict | 'stale'> {
    const shard = this.keys.shardOf(userId);
    const [status, due, conn] = this.activityKeys(userId, shard);
    const result = (await this.run(
      'presenceHeartbeat',
      4,
      status,
      due,
      conn,
      this.keys.messageCount(userId, connection.connectionId, shard),
      userId,
      connection.connectionId,
      now,
      ...this.lifetime(connection),
      ...this.budget,
    )) as number;
    return VERDICTS[result] ?? 'stale';
  }

  async subscribe(userId: string, connection: ConnectionActivity, now: number, level: SubscriptionLevel): Promise<SubscribeResult> {
    const shard = this.keys.shardOf(userId);
    const reply = (await this.run(
      'presenceSubscribe',
      5,
      ...this.activityKeys(userId, shard),
      this.keys.messageCount(userId, connection.connectionId, shard),
      userId,
      connection.connectionId,
      now,
      ...this.lifetime(connection),
      ...this.budget,
      LEVEL_CODES[level],
    )) as unknown[];
    const verdict = VERDICTS[reply[0] as number];
    if (!verdict) return { stored: false, verdict: 'stale' };
    if (verdict === 'closed') return { stored: false, verdict };
    return { stored: true, verdict, previous: LEVELS_BY_CODE[reply[1] as string] ?? 'pages' };
  }

  async countMessage(userId: string, connectionId: string): Promise<MessageVerdict> {
    const result = (await this.run('presenceCountMessage', 1, this.keys.messageCount(userId, connectionId), ...this.budget)) as number;
    return VERDICTS[result]!;
  }

  async updatePage(userId: string, connection: ConnectionActivity, now: number, visible: Page): Promise<PageUpdateResult> {
    const shard = this.keys.shardOf(userId);
    const reply = (await this.run(
      'presenceUpdatePage',
      7,
      ...this.activityKeys(userId, shard),
      this.keys.page(userId, shard),
      this.keys.messageCount(userId, connection.connectionId, shard),
      this.keys.deferred(shard),
      userId,
      connection.connectionId,
      now,
      visible.url,
      visible.title,
      visible.domain,
      this.settings.pageTtlMs,
      ...this.budget,
      ...this.fanOutBudget,
      ...this.lifetime(connection),
    )) as unknown[];
    const verdict = VERDICTS[reply[0] as number];
    if (!verdict) return { stored: false, verdict: 'stale' };
    if (verdict === 'closed') return { stored: false, verdict };
    const [, push, lu, lt, ld, connections] = reply as [number, number, string, string, string, string[]];
    return {
      stored: true,
      verdict,
      fanOut: push === 1 ? { page: visible, latest: page(lu, lt, ld), at: now, ownConnections: connections } : null,
    };
  }

  async releasePush(userId: string, now: number, mayPushAgain: boolean): Promise<FanOutPage | null> {
    const shard = this.keys.shardOf(userId);
    const reply = (await this.run(
      'presenceReleasePush',
      5,
      this.keys.status(shard),
      this.keys.connections(userId, shard),
      this.keys.connectionInfo(userId, shard),
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
    for (const userId of due) {
      keys.push(this.keys.connections(userId, shard), this.keys.connectionInfo(userId, shard), this.keys.page(userId, shard));
    }
    const [interval, , leaseMs] = this.fanOutBudget;
    const claimed = (await this.run('presenceClaimDeferred', keys.length, ...keys, now, interval, leaseMs, ...due)) as unknown[][];
    return claimed.map((reply) => ({ userId: reply[0] as string, ...fanOutPage(reply, 1) }));
  }

  async disconnect(userId: string, connectionId: string, now: number, graceMs: number): Promise<DisconnectResult> {
    const shard = this.keys.shardOf(userId);
    const result = await this.run(
      'presenceDisconnect',
      8,
      ...this.activityKeys(userId, shard),
      this.keys.page(userId, shard),
      this.keys.lastSeen(shard),
      this.keys.pending(shard),
      this.keys.deferred(shard),
      userId,
      connectionId,
      now,
      this.settings.lastSeenRetentionMs,
      graceMs,
    );
    return DISCONNECT_RESULTS[result as number] ?? 'unchanged';
  }

  /** One script call per user (its connections and their opening times share the user's slot). */
  async removeConnections(refs: readonly ConnectionRef[], now: number): Promise<void> {
    if (refs.length === 0) return;
    const byUser = new Map<string, string[]>();
    for (const { userId, connectionId } of refs) {
      const list = byUser.get(userId);
      if (list) list.push(connectionId);
      else byUser.set(userId, [connectionId]);
    }
    const openedBefore = now - HANDSHAKE_GRACE_MS;
    await Promise.all(
      [...byUser].map(([userId, connectionIds]) =>
        this.run('presenceRemoveGone', 2, this.keys.connections(userId), this.keys.connectionInfo(userId), openedBefore, ...connectionIds),
      ),
    );
  }

  /** One script call on a single Redis; one per shard on a cluster. */
  async connectionsOf(userIds: readonly string[], now: number, level: Exclude<SubscriptionLevel, 'none'>): Promise<Map<string, string[]>> {
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
      const keys = ids.flatMap((userId) => [this.keys.connections(userId), this.keys.connectionInfo(userId)]);
      decode(await this.run('presenceLiveConnections', keys.length, ...keys, now, LEVEL_RANK[level], ...ids));
      return connections;
    }
    await this.perShard(
      userIds,
      (shard, ids) => {
        const keys = ids.flatMap((userId) => [this.keys.connections(userId, shard), this.keys.connectionInfo(userId, shard)]);
        return ['presenceLiveConnections', keys.length, ...keys, now, LEVEL_RANK[level], ...ids];
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
          const [lastActive, lastSeen, u, t, d, lu, lt, ld, pt] = flat.slice(i * 9, i * 9 + 9);
          const online = lastActive !== '';
          const lastSeenAt = !online && lastSeen ? Number(lastSeen) : null;
          presence.set(userId, {
            online,
            lastActiveAt: online ? Number(lastActive) : null,
            page: online ? { url: u ?? '', title: t ?? '', domain: d ?? '' } : null,
            latestPage: online && lu ? { url: lu, title: lt ?? '', domain: ld ?? '' } : null,
            lastSeenAt,
            at: online ? Number(pt) || 0 : (lastSeenAt ?? 0),
          });
        });
      },
    );
    return presence;
  }

  // --- timeout sweep -------------------------------------------------------

  /**
   * Users whose due time has passed, earliest first, then (the backstop for state written before due
   * times existed, or lost with a due set) users whose last activity is older than the longest allowance.
   */
  async staleCandidates(shard: number, now: number, limit: number): Promise<string[]> {
    const due = await this.call(this.redis.zrangebyscore(this.keys.due(shard), '-inf', now, 'LIMIT', 0, limit));
    if (due.length >= limit) return due;
    const silent = await this.call(
      this.redis.zrangebyscore(this.keys.status(shard), '-inf', now - this.settings.maxAllowanceMs, 'LIMIT', 0, limit),
    );
    return [...new Set([...due, ...silent])].slice(0, limit);
  }

  async claimStale(shard: number, candidates: readonly string[], now: number): Promise<Map<string, string[]>> {
    const keys = [this.keys.status(shard), this.keys.due(shard), this.keys.lastSeen(shard), this.keys.pending(shard), this.keys.deferred(shard)];
    for (const userId of candidates) {
      keys.push(this.keys.connections(userId, shard), this.keys.connectionInfo(userId, shard), this.keys.page(userId, shard));
    }
    const flat = (await this.run(
      'presenceClaimStale',
      keys.length,
      ...keys,
      now,
      this.settings.lastSeenRetentionMs,
      now - this.settings.maxAllowanceMs,
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
