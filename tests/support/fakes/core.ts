import { longestAllowanceMs, type PresenceConfig, type RateLimits } from '../../../layers/core/config';
import type { ConnectionActivity } from '../../../layers/core/model';
import { PresenceService } from '../../../layers/core/presence-service';
import { TimeoutSweeper } from '../../../layers/core/timeout-sweeper';
import { FakeFriendDirectory } from './friend-directory';
import { MemoryPresenceStore } from './memory-presence-store';
import { RecordingGateway } from './recording-gateway';

export const MINUTE = 60_000;

/** Budgets generous enough that tests of other behaviour never meet them. */
export const GENEROUS_LIMITS: RateLimits = {
  messagesPerWindow: 1_000_000,
  messageWindowMs: MINUTE,
  floodCloseAfter: 1_000_000,
  fanOutBurst: 1_000_000,
  fanOutIntervalMs: 1,
};

type SweepSettings = Pick<
  PresenceConfig,
  'timeoutMs' | 'offlineGraceMs' | 'sweepBatchSize' | 'pushConcurrency' | 'statusShards' | 'sweepTimeBudgetMs'
>;

export interface FakeCoreOptions extends Partial<SweepSettings> {
  limits?: Partial<RateLimits>;
  pushLeaseMs?: number;
}

/** A clock that moves only when told. */
export class TestClock {
  constructor(private at = Date.parse('2025-03-01T12:00:00.000Z')) {}

  readonly now = (): number => this.at;

  advance(ms: number): number {
    return (this.at += ms);
  }
}

/**
 * The presence core (PresenceService and TimeoutSweeper) on in-memory fakes of every port, sharing one
 * test clock: no Redis, no PostgreSQL, no HTTP.
 */
export function fakeCore(options: FakeCoreOptions = {}) {
  const clock = new TestClock();
  const settings: SweepSettings = {
    timeoutMs: options.timeoutMs ?? 2 * MINUTE,
    offlineGraceMs: options.offlineGraceMs ?? 0,
    sweepBatchSize: options.sweepBatchSize ?? 100,
    pushConcurrency: options.pushConcurrency ?? 4,
    statusShards: options.statusShards ?? 4,
    sweepTimeBudgetMs: options.sweepTimeBudgetMs ?? 45_000,
  };
  const connectionMaxAgeMs = 120 * MINUTE;
  const pushLeaseMs = options.pushLeaseMs ?? 15_000;
  const store = new MemoryPresenceStore(
    {
      shards: settings.statusShards,
      connectionMaxAgeMs,
      maxAllowanceMs: longestAllowanceMs(settings),
      lastSeenRetentionMs: 30 * 24 * 60 * MINUTE,
      pageTtlMs: connectionMaxAgeMs + longestAllowanceMs(settings),
      limits: { ...GENEROUS_LIMITS, ...options.limits },
      pushLeaseMs,
    },
    clock.now,
  );
  const directory = new FakeFriendDirectory();
  const gateway = new RecordingGateway();
  const service = new PresenceService({ store, directory, gateway, settings, clock: clock.now });
  const sweeper = new TimeoutSweeper({ store, directory, gateway, settings, clock: clock.now });

  return {
    clock,
    store,
    directory,
    gateway,
    service,
    sweeper,
    settings,
    pushLeaseMs,
    /** A connection as a route knows it: opened now, without a negotiated heartbeat. */
    connection(connectionId: string): ConnectionActivity {
      return { connectionId, connectedAt: clock.now(), allowanceMs: settings.timeoutMs };
    },
    /** Opens the socket at the gateway, then runs $connect, as API Gateway does (connected `agoMs` ago). */
    connect(userId: string, connectionId: string, agoMs = 0, allowanceMs = settings.timeoutMs) {
      gateway.open(connectionId);
      return service.connect(userId, { connectionId, connectedAt: clock.now() - agoMs, allowanceMs });
    },
    /** Every shard once, as one run of the state machine (each shard's loop until it has no more). */
    async sweepAll() {
      for (let shard = 0; shard < settings.statusShards; shard++) {
        for (let batch = 0; (await sweeper.sweepBatch(shard)).more; batch++) {
          if (batch === 100) throw new Error(`shard ${shard} still has more after 100 batches`);
        }
      }
    },
  };
}

export type FakeCore = ReturnType<typeof fakeCore>;
