/**
 * `npm run sweep -- --local [--verbose] [--concurrency <n>] [--batch <n>] [--stack <REST port>]`:
 * runs the timeout state machine once against the running local stack, found through its stack
 * file (its Redis, PostgreSQL and management endpoint, its shard count and presence timeout), with
 * statemachines/presence-timeout.asl.json run by aws-local-stepfunctions and its Task answered by
 * the real handlers/sweep-shard.ts in this process. Prints one summary line (--verbose: a row per
 * shard). Exit code 1 when the execution or any shard failed, 2 on bad usage.
 */
import '../polyfills';
import { parseArgs } from 'node:util';
import { closeHandlerRuntime } from '../lambda/invoker';
import { runLocally, substitute, type LambdaHandler } from '../sweep/local-execution';
import { CommandError, runCommand, UsageError } from './run';
import { useStackEnvironment } from './stack-environment';
import { chosenStack, STACK_OPTION, STACK_USAGE } from './stack-flag';
import { shardTable, sweepSummary, type ShardTotals } from './sweep-summary';

const USAGE = [
  'usage: npm run sweep -- --local [--verbose] [--concurrency <n>] [--batch <n>] [--stack <REST port>]',
  '  --verbose          a row per shard (batches, timed out, friends told, sockets closed, error)',
  '  --concurrency <n>  shards swept at once (default SWEEP_MAX_CONCURRENCY or 16)',
  "  --batch <n>        users per batch (default: the stack's SWEEP_BATCH_SIZE)",
  `  ${STACK_USAGE}`,
].join('\n');

const LOCAL_FUNCTION_ARN = 'arn:aws:lambda:local:000000000000:function:SweepShardFunction';

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`${name} must be a positive integer\n${USAGE}`);
  return parsed;
}

interface BatchOutput {
  shard?: number;
  timedOut?: number;
  notifications?: number;
  connectionsClosed?: number;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      local: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      concurrency: { type: 'string' },
      batch: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      ...STACK_OPTION,
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(USAGE);
  const concurrency =
    positiveInt(values.concurrency, '--concurrency') ?? positiveInt(process.env.SWEEP_MAX_CONCURRENCY, 'SWEEP_MAX_CONCURRENCY') ?? 16;
  const batch = positiveInt(values.batch, '--batch');

  const stack = chosenStack(values.stack);
  useStackEnvironment(stack);
  // Loaded after the stack's environment is in place: the handler reads its configuration at load.
  const { loadConfig } = await import('../../layers/core/config');
  const config = loadConfig(process.env);
  const definition = substitute({
    SweepShardFunctionArn: LOCAL_FUNCTION_ARN,
    StatusShardCount: config.presence.statusShards,
    SweepMaxConcurrency: concurrency,
    SweepBatchSize: batch ?? config.presence.sweepBatchSize,
  });
  const { handler } = await import('../../handlers/sweep-shard');

  const shards = new Map<number, ShardTotals>();
  const shardOf = (shard: number) => {
    let totals = shards.get(shard);
    if (!totals) shards.set(shard, (totals = { shard, batches: 0, timedOut: 0, notifications: 0, connectionsClosed: 0 }));
    return totals;
  };
  // The execution keeps three numbers per shard; the function's own output also counts closed sockets.
  const counting: LambdaHandler = async (event, context) => {
    const output = (await handler(event as never, context)) as BatchOutput;
    const totals = shardOf(Number((event as { shard?: number }).shard));
    totals.batches += 1;
    totals.timedOut += output.timedOut ?? 0;
    totals.notifications += output.notifications ?? 0;
    totals.connectionsClosed += output.connectionsClosed ?? 0;
    return output;
  };

  const started = Date.now();
  let output: { shards?: Array<{ shard: number; error?: string }> };
  try {
    ({ output } = (await runLocally(definition, { [LOCAL_FUNCTION_ARN]: counting })) as { output: typeof output });
  } catch (error) {
    throw new CommandError(`The sweep execution failed after ${Date.now() - started} ms: ${(error as Error).message}`);
  } finally {
    await closeHandlerRuntime().catch(() => undefined);
  }
  for (const shard of output?.shards ?? []) {
    const totals = shardOf(shard.shard);
    if (shard.error) totals.error = shard.error;
  }
  const rows = [...shards.values()].sort((a, b) => a.shard - b.shard);
  if (values.verbose) console.log(`${shardTable(rows)}\n`);
  console.log(sweepSummary(rows, Date.now() - started, `the local stack ${stack.name}`));
  return rows.some((shard) => shard.error) ? 1 : 0;
}

runCommand(main);
