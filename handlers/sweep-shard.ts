import { taskHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { containerPostgres } from '../layers/core/runtime/postgres';
import { gatewayOnFirstUse } from '../layers/core/runtime/push-on-first-use';
import { containerRedis } from '../layers/core/runtime/redis';
import { timeoutSweeper } from '../layers/core/runtime/service';
import type { SweepBatchResult } from '../layers/core/timeout-sweeper';
import { parseSweepTask } from '../layers/core/validation';

const config = containerConfig();
const sweeper = timeoutSweeper(config, {
  store: containerRedis().store,
  directory: containerPostgres().directory,
  gateway: gatewayOnFirstUse(),
});

/** The task's input: the shard, the state machine's batch size, and when the execution started. */
export interface SweepShardInput {
  shard: number;
  startedAt?: string;
  batchSize?: number;
}

export type SweepShardOutput = SweepBatchResult & { startedAt: string };

/** Users named in one log line at most (the line also has the count). */
const LOGGED_USERS = 50;

/**
 * One Step Functions task: time out one batch of one shard. The output is a few numbers whatever the
 * batch size, so state payloads stay tiny; who was timed out goes to the log line only.
 */
export const handler = taskHandler<SweepShardInput, SweepShardOutput>(
  'sweep batch',
  (fields) => Number(fields.timedOut) > 0 || Number(fields.flushed) > 0,
  async (event, log) => {
    const task = parseSweepTask(event, sweeper.shardCount);
    const { result, timedOutUsers } = await sweeper.runTask(task);
    if (timedOutUsers.length > 0) {
      Object.assign(log, {
        timedOutUsers: timedOutUsers.slice(0, LOGGED_USERS),
        why: `silent longer than their connections allow (${config.presence.timeoutMs / 1000} s without a negotiated heartbeat), or their offline grace ended`,
      });
    }
    return { ...result, startedAt: new Date(task.startedAt).toISOString() };
  },
);
