import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { BadRequestError } from '../layers/core/errors';
import { logger } from '../layers/core/logger';
import { getRuntime } from '../layers/core/runtime';
import type { SweepBatchResult } from '../layers/core/timeout-sweeper';

const runtime = getRuntime({ push: true });

export interface SweepShardInput {
  shard: number;
  /** When the execution started (ISO); the shard loop stops once the time budget is spent. */
  startedAt?: string;
  /** Users per batch (the state machine's SweepBatchSize); SWEEP_BATCH_SIZE when absent. */
  batchSize?: number;
}

const MAX_BATCH_SIZE = 5000;

export type SweepShardOutput = SweepBatchResult & { startedAt: string };

/**
 * One Step Functions task: time out one batch of one shard. The output is a
 * few numbers whatever the batch size, so state payloads stay tiny.
 */
export const handler = middy<SweepShardInput, SweepShardOutput, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const shard = Number(event?.shard);
    if (!Number.isInteger(shard) || shard < 0 || shard >= runtime.sweeper.shardCount) {
      throw new BadRequestError(`shard must be an integer from 0 to ${runtime.sweeper.shardCount - 1}`);
    }
    const batchSize = event.batchSize === undefined || event.batchSize === null ? undefined : Number(event.batchSize);
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE)) {
      throw new BadRequestError(`batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}`);
    }
    const startedAt = event.startedAt && !Number.isNaN(Date.parse(event.startedAt)) ? event.startedAt : new Date().toISOString();
    const result = await runtime.sweeper.sweepBatch(shard, batchSize);
    const withinBudget = Date.now() - Date.parse(startedAt) < runtime.config.presence.sweepTimeBudgetMs;
    return { ...result, more: result.more && withinBudget, startedAt };
  });
