import type { PresenceConfig } from './config';
import { count, gauge, Metric, milliseconds } from './metrics';
import { presenceTimeoutMessage, updatePresenceMessage } from './messages';
import type { Clock } from './model';
import type { ConnectionGateway } from './ports/connection-gateway';
import type { FriendDirectory } from './ports/friend-directory';
import type { PresenceStore } from './ports/presence-store';
import { deliverAll, deliverAndClose, encode, type Delivery } from './push/fan-out';
import { connectionTargets, updateTargets } from './push/targets';

export interface SweepBatchResult {
  shard: number;
  /** Users handled in this batch (newly claimed plus any left pending by an earlier attempt). */
  processed: number;
  /** Users whose friends were told they went offline. */
  timedOut: number;
  /** Users who were claimed but came back online before their friends were told. */
  cameBack: number;
  notifications: number;
  connectionsClosed: number;
  /** Users whose deferred fan-out (over their budget, or left by a pusher that died) this batch sent. */
  flushed: number;
  /** True while the shard may still hold stale users or due fan-outs. */
  more: boolean;
}

/** One task of the timeout state machine (validated by parseSweepTask). */
export interface SweepTask {
  shard: number;
  /** Users per batch (the state machine's SweepBatchSize); SWEEP_BATCH_SIZE when absent. */
  batchSize?: number;
  /** When the execution started (epoch ms): the shard's loop ends once the time budget is spent. */
  startedAt: number;
}

/** A batch's result (what Step Functions keeps: a few numbers), and for the log line who was timed out. */
export interface SweepBatchReport {
  result: SweepBatchResult;
  timedOutUsers: string[];
  /** Users still pending (claimed, friends not yet told) after this batch, plus 1 when the scan came back full. */
  backlog: number;
}

export interface TimeoutSweeperDeps {
  store: PresenceStore;
  directory: FriendDirectory;
  gateway: ConnectionGateway;
  settings: Pick<PresenceConfig, 'timeoutMs' | 'sweepBatchSize' | 'pushConcurrency' | 'statusShards' | 'sweepTimeBudgetMs'>;
  clock?: Clock;
}

/**
 * Times out one batch of one shard. Safe to run twice, concurrently, or after
 * a crash at any point: claiming is atomic and re-checks staleness, claimed
 * users wait in a pending hash until their friends are told, and a user who
 * came back online in the meantime is never announced as offline.
 */
export class TimeoutSweeper {
  private readonly now: Clock;

  constructor(private readonly deps: TimeoutSweeperDeps) {
    this.now = deps.clock ?? Date.now;
  }

  get shardCount(): number {
    return this.deps.settings.statusShards;
  }

  /**
   * One task of the state machine: one batch, and whether the shard's loop goes on: while the shard
   * may hold more and the execution's time budget is not spent, so a run ends before the next
   * scheduled one starts (the rest waits for it).
   */
  async runTask(task: SweepTask): Promise<SweepBatchReport> {
    const started = this.now();
    const report = await this.batch(task.shard, task.batchSize);
    report.result.more &&= this.now() - task.startedAt < this.deps.settings.sweepTimeBudgetMs;
    count(Metric.SweepBatches);
    count(Metric.SweepUsersTimedOut, report.result.timedOut);
    count(Metric.SweepDeferredFlushed, report.result.flushed);
    // Above zero run after run, the sweep falls behind (an alarm watches it).
    gauge(Metric.SweepBacklog, report.backlog);
    milliseconds(Metric.SweepBatchDuration, this.now() - started);
    return report;
  }

  async sweepBatch(shard: number, batchSize = this.deps.settings.sweepBatchSize): Promise<SweepBatchResult> {
    return (await this.batch(shard, batchSize)).result;
  }

  private async batch(shard: number, batchSize = this.deps.settings.sweepBatchSize): Promise<SweepBatchReport> {
    const { store, directory, gateway, settings } = this.deps;
    const now = this.now();
    const candidates = await store.staleCandidates(shard, now, batchSize);
    const pending = candidates.length > 0 ? await store.claimStale(shard, candidates, now) : await store.pending(shard);
    // Batches that failed after their claim (e.g. during a database outage) leave users pending, and
    // that backlog can outgrow one batch: take at most batchSize of it, so every invocation stays
    // bounded (and finishes within its timeout), and report more until the backlog is gone.
    const users = [...pending.keys()].slice(0, batchSize);
    const flushed = await this.flushDeferred(shard, now, batchSize);
    const result: SweepBatchResult = {
      shard,
      processed: users.length,
      timedOut: 0,
      cameBack: 0,
      notifications: 0,
      connectionsClosed: 0,
      flushed: flushed.users,
      more: candidates.length === batchSize || pending.size > users.length || flushed.users === batchSize,
    };
    const backlog = pending.size - users.length + (candidates.length === batchSize ? 1 : 0);
    if (users.length === 0) return { result, timedOutUsers: [], backlog };

    const [friendsByUser, backOnline] = await Promise.all([directory.friendsOfMany(users), store.onlineAmong(shard, users)]);
    const offline = users.filter((userId) => !backOnline.has(userId));
    const friendConnections = await this.connectionsOfFriends(offline, friendsByUser, now, 'status');

    const deliveries: Delivery[] = [];
    for (const userId of offline) {
      const data = encode(presenceTimeoutMessage(userId, now));
      for (const target of connectionTargets(friendsByUser.get(userId) ?? [], friendConnections)) deliveries.push({ target, data });
    }
    const ghostSockets = users.flatMap((userId) => pending.get(userId) ?? []);
    const { report, closeFailures } = await deliverAndClose(gateway, deliveries, ghostSockets, settings.pushConcurrency);
    if (report.gone.length > 0) await store.removeConnections(report.gone, now);
    await store.clearPending(shard, new Map(users.map((userId) => [userId, pending.get(userId) ?? []])));

    result.timedOut = offline.length;
    result.cameBack = backOnline.size;
    result.notifications = report.sent;
    result.connectionsClosed = ghostSockets.length - closeFailures;
    return { result, timedOutUsers: offline, backlog };
  }

  /**
   * Sends the latest page of users whose fan-out was deferred (over their budget, or their pusher died)
   * to their friends and own devices: one query for all their friends, one read of the friends'
   * connections, then each user's lease is released (a page stored meanwhile waits for the next sweep).
   */
  private async flushDeferred(shard: number, now: number, limit: number): Promise<{ users: number; sent: number }> {
    const { store, directory, gateway, settings } = this.deps;
    const due = await store.claimDeferred(shard, now, limit);
    if (due.length === 0) return { users: 0, sent: 0 };
    const users = due.map(({ userId }) => userId);
    const friendsByUser = await directory.friendsOfMany(users);
    const friendConnections = await this.connectionsOfFriends(users, friendsByUser, now, 'pages');
    const deliveries: Delivery[] = [];
    for (const { userId, page, latest, at, ownConnections } of due) {
      const data = encode(updatePresenceMessage(userId, page, latest, at));
      for (const target of updateTargets(userId, ownConnections, friendsByUser.get(userId) ?? [], friendConnections))
        deliveries.push({ target, data });
    }
    const report = await deliverAll(gateway, deliveries, settings.pushConcurrency);
    if (report.gone.length > 0) await store.removeConnections(report.gone, now);
    await Promise.all(due.map(({ userId }) => store.releasePush(userId, this.now(), false)));
    return { users: due.length, sent: report.sent };
  }

  /** The live connections of every friend of these users at or above a subscription level, in one read. */
  private connectionsOfFriends(
    userIds: readonly string[],
    friendsByUser: ReadonlyMap<string, readonly string[]>,
    now: number,
    level: 'pages' | 'status',
  ): Promise<Map<string, string[]>> {
    const friendIds = new Set(userIds.flatMap((userId) => friendsByUser.get(userId) ?? []));
    return this.deps.store.connectionsOf([...friendIds], now, level);
  }
}
