/**
 * An in-memory PresenceStore for unit tests of the service and the sweeper. It keeps the state the
 * Redis store keeps (layers/core/keys.ts) in plain maps and follows the rules of its scripts
 * (layers/core/redis/scripts.ts): the message budget per connection, the fan-out budget (GCRA) and
 * push lease per user, deferred fan-outs, the pending entries of users who went offline, and the
 * compare-and-delete operations. Each method runs to completion without awaiting, so like a script
 * it is atomic. tests/integration/presence-store-contract.test.ts holds it to the Redis store's behaviour.
 *
 * Like Redis, expiry by time to live (message windows, page records, connection sets) follows the
 * store's own clock; every other rule follows the `now` its caller passes. A connection is live until its
 * deadline (its last message plus its allowance, capped at its close); a user is due (timed out by the
 * sweep) once their latest deadline, or the end of their offline grace, has passed.
 */
import type { RateLimits } from '../../../layers/core/config';
import { KeySpace } from '../../../layers/core/keys';
import {
  HIDDEN_PAGE,
  type Clock,
  type ConnectionActivity,
  type ConnectionRef,
  type FanOutPage,
  type MessageVerdict,
  type Page,
  type SubscriptionLevel,
  type UserPresence,
} from '../../../layers/core/model';
import { HANDSHAKE_GRACE_MS } from '../../../layers/core/ports/presence-store';
import type {
  ConnectResult,
  DeferredFanOut,
  DisconnectResult,
  PageUpdateResult,
  PresenceStore,
  SubscribeResult,
} from '../../../layers/core/ports/presence-store';

export interface MemoryStoreSettings {
  shards: number;
  connectionMaxAgeMs: number;
  maxAllowanceMs: number;
  lastSeenRetentionMs: number;
  pageTtlMs: number;
  limits: RateLimits;
  pushLeaseMs: number;
}

/** A user's page record: what they look at, the latest page they shared, and their fan-out state. */
interface PageRecord {
  page: Page;
  /** The latest page shared this session; null before the first. */
  latest: Page | null;
  /** The fan-out budget's theoretical arrival time (GCRA); null before the first fan-out. */
  budgetTat: number | null;
  /** Until when a fan-out holds the push lease; null when none does. */
  leaseUntil: number | null;
  /** A page was stored that no fan-out has sent yet. */
  unsent: boolean;
  /** When the page became the user's state (the pushes' `at`). */
  at: number;
  expiresAt: number;
}

/** One connection of a user: live until its deadline; its level ('default' until it subscribes) and when it opened. */
interface ConnectionRecord {
  deadline: number;
  level: SubscriptionLevel | 'default';
  openedAt: number;
  /** When API Gateway closes it: the set lives until its latest connection's close. */
  closesAt: number;
}

const RANK: Record<SubscriptionLevel | 'default', number> = { none: 0, status: 1, pages: 2, default: 2 };

interface Shard {
  /** Online users → last activity. */
  online: Map<string, number>;
  /** Online users → when the sweep may time them out. */
  due: Map<string, number>;
  /** Users who went offline → when (bounded retention). */
  lastSeen: Map<string, number>;
  /** Users whose friends are still to be told they went offline → the connections they had. */
  pending: Map<string, readonly string[]>;
  /** Users with a fan-out to send → when it is due. */
  deferred: Map<string, number>;
}

interface MessageWindow {
  count: number;
  endsAt: number;
}

/** Entries by score, then by member, like a sorted set. */
function byScore([a, scoreA]: [string, number], [b, scoreB]: [string, number]): number {
  return scoreA - scoreB || (a < b ? -1 : a > b ? 1 : 0);
}

function lowest(entries: Iterable<[string, number]>, atMost: number, limit = Infinity): string[] {
  return [...entries]
    .filter(([, score]) => score <= atMost)
    .sort(byScore)
    .slice(0, limit)
    .map(([member]) => member);
}

function dropDead(connections: Map<string, ConnectionRecord>, now: number): void {
  for (const [id, record] of connections) if (record.deadline <= now) connections.delete(id);
}

function copy(page: Page): Page {
  return { url: page.url, title: page.title, domain: page.domain };
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly keys: KeySpace;
  private readonly shards: Shard[];
  /** User → connection id → its record. */
  private readonly connections = new Map<string, Map<string, ConnectionRecord>>();
  private readonly pages = new Map<string, PageRecord>();
  private readonly windows = new Map<string, MessageWindow>();

  constructor(
    private readonly settings: MemoryStoreSettings,
    private readonly clock: Clock = Date.now,
  ) {
    this.keys = new KeySpace('', settings.shards);
    this.shards = Array.from({ length: settings.shards }, () => ({
      online: new Map(),
      due: new Map(),
      lastSeen: new Map(),
      pending: new Map(),
      deferred: new Map(),
    }));
  }

  shardOf(userId: string): number {
    return this.keys.shardOf(userId);
  }

  /** Test hook: sets a user's last activity and due time (as a test writes their scores into Redis), making them stale. */
  setLastActive(userId: string, at: number, dueAt = at): void {
    this.shard(userId).online.set(userId, at);
    this.shard(userId).due.set(userId, dueAt);
  }

  /** Test hook: forgets a user's due time (state written before due times existed lacks it). */
  forgetDue(userId: string): void {
    this.shard(userId).due.delete(userId);
  }

  async connect(userId: string, connection: ConnectionActivity, now: number): Promise<ConnectResult> {
    const closesAt = connection.connectedAt + this.settings.connectionMaxAgeMs;
    if (closesAt <= now) return { cameOnline: false, fanOut: null };
    const deadline = Math.min(now + connection.allowanceMs, closesAt);
    const connections = this.connectionsOfUser(userId) ?? new Map<string, ConnectionRecord>();
    dropDead(connections, now);
    connections.set(connection.connectionId, { deadline, level: 'default', openedAt: connection.connectedAt, closesAt });
    this.connections.set(userId, connections);

    const shard = this.shard(userId);
    const cameOnline = !shard.online.has(userId);
    this.touch(shard, userId, now);
    if (!cameOnline) {
      this.extendDue(shard, userId, deadline);
      this.refresh(this.pageOf(userId));
      return { cameOnline: false, fanOut: null };
    }
    shard.due.set(userId, deadline);
    const record = this.pageOf(userId) ?? this.newPage();
    record.page = HIDDEN_PAGE;
    record.at = now;
    this.pages.set(userId, this.refresh(record));
    const leaseHeld = (record.leaseUntil ?? 0) > now;
    if (!leaseHeld && this.takeToken(record, now)) {
      this.takeLease(shard, userId, record, now);
      return {
        cameOnline: true,
        fanOut: { page: copy(HIDDEN_PAGE), latest: copy(record.latest ?? HIDDEN_PAGE), at: now, ownConnections: [] },
      };
    }
    record.unsent = true;
    this.deferNoLaterThan(shard, userId, Math.max(record.leaseUntil ?? 0, now));
    return { cameOnline: true, fanOut: null };
  }

  async heartbeat(userId: string, connection: ConnectionActivity, now: number): Promise<MessageVerdict | 'stale'> {
    if (!this.isRegistered(userId, connection, now)) return 'stale';
    const verdict = this.countAgainstBudget(userId, connection.connectionId);
    if (verdict !== 'closed') this.activity(userId, connection, now);
    return verdict;
  }

  async subscribe(userId: string, connection: ConnectionActivity, now: number, level: SubscriptionLevel): Promise<SubscribeResult> {
    if (!this.isRegistered(userId, connection, now)) return { stored: false, verdict: 'stale' };
    const verdict = this.countAgainstBudget(userId, connection.connectionId);
    if (verdict === 'closed') return { stored: false, verdict };
    this.activity(userId, connection, now);
    const record = this.connectionsOfUser(userId)!.get(connection.connectionId)!;
    const previous = record.level;
    record.level = level;
    return { stored: true, verdict, previous };
  }

  async countMessage(userId: string, connectionId: string): Promise<MessageVerdict> {
    return this.countAgainstBudget(userId, connectionId);
  }

  async updatePage(userId: string, connection: ConnectionActivity, now: number, visible: Page): Promise<PageUpdateResult> {
    if (!this.isRegistered(userId, connection, now)) return { stored: false, verdict: 'stale' };
    const verdict = this.countAgainstBudget(userId, connection.connectionId);
    if (verdict === 'closed') return { stored: false, verdict };
    const shard = this.shard(userId);
    this.activity(userId, connection, now);
    const record = this.pageOf(userId) ?? this.newPage();
    record.at = now;
    if (visible.url !== '') {
      record.page = copy(visible);
      record.latest = copy(visible);
    } else {
      record.page = HIDDEN_PAGE;
    }
    this.pages.set(userId, this.refresh(record));

    const leaseUntil = record.leaseUntil ?? 0;
    const pushNow = leaseUntil <= now && verdict === 'ok' && this.takeToken(record, now);
    if (!pushNow) {
      record.unsent = true;
      this.deferNoLaterThan(shard, userId, leaseUntil > now ? leaseUntil : now);
      return { stored: true, verdict, fanOut: null };
    }
    this.takeLease(shard, userId, record, now);
    return {
      stored: true,
      verdict,
      fanOut: { page: visible, latest: copy(record.latest ?? HIDDEN_PAGE), at: now, ownConnections: this.live(userId, now, 'pages') },
    };
  }

  async releasePush(userId: string, now: number, mayPushAgain: boolean): Promise<FanOutPage | null> {
    const shard = this.shard(userId);
    const record = this.pageOf(userId);
    if (!record?.unsent || !shard.online.has(userId)) {
      if (record) record.leaseUntil = null;
      shard.deferred.delete(userId);
      return null;
    }
    if (!(mayPushAgain && this.takeToken(record, now))) {
      record.leaseUntil = null;
      shard.deferred.set(userId, now);
      return null;
    }
    this.takeLease(shard, userId, record, now);
    return this.fanOutOf(userId, record, now);
  }

  async claimDeferred(shardIndex: number, now: number, limit: number): Promise<DeferredFanOut[]> {
    const shard = this.shards[shardIndex]!;
    const claimed: DeferredFanOut[] = [];
    for (const userId of lowest(shard.deferred, now, limit)) {
      const record = this.pageOf(userId);
      if (!record || !shard.online.has(userId)) {
        shard.deferred.delete(userId);
      } else if ((record.leaseUntil ?? 0) > now) {
        shard.deferred.set(userId, record.leaseUntil!);
      } else {
        // The sweep's own schedule bounds how often it flushes a user: the token is taken on credit.
        record.budgetTat = Math.max(record.budgetTat ?? 0, now) + this.settings.limits.fanOutIntervalMs;
        this.takeLease(shard, userId, record, now);
        claimed.push({ userId, ...this.fanOutOf(userId, record, now) });
      }
    }
    return claimed;
  }

  async disconnect(userId: string, connectionId: string, now: number, graceMs: number): Promise<DisconnectResult> {
    const connections = this.connectionsOfUser(userId);
    connections?.delete(connectionId);
    if (connections) dropDead(connections, now);
    const shard = this.shard(userId);
    const online = shard.online.has(userId);
    if (connections && connections.size > 0) {
      if (online) shard.due.set(userId, Math.max(...[...connections.values()].map(({ deadline }) => deadline)));
      return 'unchanged';
    }
    this.connections.delete(userId);
    if (online && graceMs > 0) {
      this.touch(shard, userId, now);
      shard.due.set(userId, now + graceMs);
      return 'leaving';
    }
    this.pages.delete(userId);
    shard.deferred.delete(userId);
    shard.due.delete(userId);
    const wasOnline = shard.online.delete(userId);
    if (!wasOnline && shard.lastSeen.has(userId)) return 'unchanged';
    this.wentOffline(shard, userId, now, now);
    if (!shard.pending.has(userId)) shard.pending.set(userId, []);
    return wasOnline ? 'went-offline' : 'was-unknown';
  }

  async friendsTold(userId: string): Promise<void> {
    await this.clearPending(this.shardOf(userId), new Map([[userId, []]]));
  }

  async removeConnections(refs: readonly ConnectionRef[], now: number): Promise<void> {
    // Younger than the grace, a connection may still be in its handshake.
    const openedBefore = now - HANDSHAKE_GRACE_MS;
    for (const { userId, connectionId } of refs) {
      const connections = this.connectionsOfUser(userId);
      const record = connections?.get(connectionId);
      if (record !== undefined && record.openedAt < openedBefore) connections!.delete(connectionId);
      if (connections?.size === 0) this.connections.delete(userId);
    }
  }

  async connectionsOf(userIds: readonly string[], now: number, level: Exclude<SubscriptionLevel, 'none'>): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    for (const userId of new Set(userIds)) {
      const live = this.live(userId, now, level);
      if (live.length > 0) found.set(userId, live);
    }
    return found;
  }

  async snapshot(userIds: readonly string[]): Promise<Map<string, UserPresence>> {
    const presence = new Map<string, UserPresence>();
    for (const userId of userIds) {
      const shard = this.shard(userId);
      const lastActive = shard.online.get(userId);
      if (lastActive === undefined) {
        const lastSeenAt = shard.lastSeen.get(userId) ?? null;
        presence.set(userId, { online: false, lastActiveAt: null, page: null, latestPage: null, lastSeenAt, at: lastSeenAt ?? 0 });
        continue;
      }
      const record = this.pageOf(userId);
      presence.set(userId, {
        online: true,
        lastActiveAt: lastActive,
        page: copy(record?.page ?? HIDDEN_PAGE),
        latestPage: record?.latest ? copy(record.latest) : null,
        lastSeenAt: null,
        at: record?.at ?? 0,
      });
    }
    return presence;
  }

  async staleCandidates(shardIndex: number, now: number, limit: number): Promise<string[]> {
    const shard = this.shards[shardIndex]!;
    const due = lowest(shard.due, now, limit);
    if (due.length >= limit) return due;
    const silent = lowest(shard.online, now - this.settings.maxAllowanceMs, limit);
    return [...new Set([...due, ...silent])].slice(0, limit);
  }

  async claimStale(shardIndex: number, candidates: readonly string[], now: number): Promise<Map<string, string[]>> {
    const shard = this.shards[shardIndex]!;
    for (const userId of candidates) {
      const lastActive = shard.online.get(userId);
      const due = shard.due.get(userId);
      const stale = due !== undefined ? due <= now : lastActive !== undefined && lastActive <= now - this.settings.maxAllowanceMs;
      if (!stale) continue; // active again since the scan
      if (lastActive === undefined) {
        shard.due.delete(userId);
        continue;
      }
      const had = [...(this.connectionsOfUser(userId) ?? [])].map(([id, { deadline }]): [string, number] => [id, deadline]);
      this.connections.delete(userId);
      this.pages.delete(userId);
      shard.online.delete(userId);
      shard.due.delete(userId);
      shard.deferred.delete(userId);
      this.wentOffline(shard, userId, lastActive, now);
      shard.pending.set(userId, lowest(had, Infinity));
    }
    return this.pending(shardIndex);
  }

  async pending(shard: number): Promise<Map<string, string[]>> {
    return new Map([...this.shards[shard]!.pending].map(([userId, connections]) => [userId, [...connections]]));
  }

  async onlineAmong(shard: number, userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((userId) => this.shards[shard]!.online.has(userId)));
  }

  async clearPending(shard: number, entries: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const { pending } = this.shards[shard]!;
    for (const [userId, connections] of entries) {
      if (pending.get(userId)?.join(',') === connections.join(',')) pending.delete(userId);
    }
  }

  // --- the scripts' shared rules ---------------------------------------------

  private shard(userId: string): Shard {
    return this.shards[this.shardOf(userId)]!;
  }

  /** Activity never moves backwards (a late heartbeat from a slow invocation). */
  private touch(shard: Shard, userId: string, now: number): void {
    const last = shard.online.get(userId);
    if (last === undefined || now > last) shard.online.set(userId, now);
  }

  private wentOffline(shard: Shard, userId: string, at: number, now: number): void {
    shard.lastSeen.set(userId, at);
    for (const [id, seenAt] of shard.lastSeen) if (seenAt <= now - this.settings.lastSeenRetentionMs) shard.lastSeen.delete(id);
  }

  /** A user's connections, unless the whole set has expired (its time to live is its latest connection's close). */
  private connectionsOfUser(userId: string): Map<string, ConnectionRecord> | undefined {
    const connections = this.connections.get(userId);
    if (connections && Math.max(...[...connections.values()].map(({ closesAt }) => closesAt)) <= this.clock()) {
      this.connections.delete(userId);
      return undefined;
    }
    return connections;
  }

  /** Registered and not yet closed by API Gateway (a deadline that passed is forgiven until the sweep runs). */
  private isRegistered(userId: string, connection: ConnectionActivity, now: number): boolean {
    const closesAt = connection.connectedAt + this.settings.connectionMaxAgeMs;
    return closesAt > now && this.connectionsOfUser(userId)?.has(connection.connectionId) === true;
  }

  /** A message on a registered connection: its deadline moves on; the user's activity and due time never move back. */
  private activity(userId: string, connection: ConnectionActivity, now: number): void {
    const record = this.connectionsOfUser(userId)!.get(connection.connectionId)!;
    const deadline = Math.min(now + connection.allowanceMs, connection.connectedAt + this.settings.connectionMaxAgeMs);
    record.deadline = Math.max(record.deadline, deadline);
    const shard = this.shard(userId);
    this.touch(shard, userId, now);
    this.extendDue(shard, userId, deadline);
  }

  private extendDue(shard: Shard, userId: string, due: number): void {
    const current = shard.due.get(userId);
    if (current === undefined || due > current) shard.due.set(userId, due);
  }

  /** Live connections (deadline ahead) at or above a level, ordered as the Redis set orders them (by deadline). */
  private live(userId: string, now: number, level: Exclude<SubscriptionLevel, 'none'>): string[] {
    return lowest(
      [...(this.connectionsOfUser(userId) ?? [])]
        .filter(([, record]) => record.deadline > now && RANK[record.level] >= RANK[level])
        .map(([id, { deadline }]): [string, number] => [id, deadline]),
      Infinity,
    );
  }

  private pageOf(userId: string): PageRecord | undefined {
    const record = this.pages.get(userId);
    if (record && record.expiresAt <= this.clock()) {
      this.pages.delete(userId);
      return undefined;
    }
    return record;
  }

  private newPage(): PageRecord {
    return { page: HIDDEN_PAGE, latest: null, budgetTat: null, leaseUntil: null, unsent: false, at: 0, expiresAt: 0 };
  }

  private refresh(record: PageRecord): PageRecord;
  private refresh(record: PageRecord | undefined): PageRecord | undefined;
  private refresh(record: PageRecord | undefined): PageRecord | undefined {
    if (record) record.expiresAt = this.clock() + this.settings.pageTtlMs;
    return record;
  }

  /** Fixed window per connection: within, first over, over, the floodCloseAfter-th over (close), then closed. */
  private countAgainstBudget(userId: string, connectionId: string): MessageVerdict {
    const { messagesPerWindow, messageWindowMs, floodCloseAfter } = this.settings.limits;
    const key = `${userId}\u0000${connectionId}`;
    const at = this.clock();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= at) {
      window = { count: 0, endsAt: at + messageWindowMs };
      this.windows.set(key, window);
    }
    const over = ++window.count - messagesPerWindow;
    if (over <= 0) return 'ok';
    if (over > floodCloseAfter) return 'closed';
    if (over === floodCloseAfter) return 'close';
    return over === 1 ? 'limited' : 'limited-quietly';
  }

  /** The fan-out budget (GCRA): a burst of fanOutBurst, then one per fanOutIntervalMs. */
  private takeToken(record: PageRecord, now: number): boolean {
    const { fanOutIntervalMs, fanOutBurst } = this.settings.limits;
    const tat = Math.max(record.budgetTat ?? 0, now) + fanOutIntervalMs;
    if (tat - now > fanOutIntervalMs * fanOutBurst) return false;
    record.budgetTat = tat;
    return true;
  }

  /** The lease's deferred entry is due when it expires, so a pusher that dies is finished by the sweep. */
  private takeLease(shard: Shard, userId: string, record: PageRecord, now: number): void {
    record.leaseUntil = now + this.settings.pushLeaseMs;
    record.unsent = false;
    shard.deferred.set(userId, now + this.settings.pushLeaseMs);
  }

  private deferNoLaterThan(shard: Shard, userId: string, due: number): void {
    const current = shard.deferred.get(userId);
    if (current === undefined || due < current) shard.deferred.set(userId, due);
  }

  private fanOutOf(userId: string, record: PageRecord, now: number): FanOutPage {
    return { page: copy(record.page), latest: copy(record.latest ?? HIDDEN_PAGE), at: record.at, ownConnections: this.live(userId, now, 'pages') };
  }
}
