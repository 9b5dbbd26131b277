/**
 * Runs the presence timeout sweep once, on demand.
 *
 *   npm run sweep -- --arn <stateMachineArn> [--region <region>]
 *   npm run sweep -- --stack <stackName>     [--region <region>]   (reads output PresenceTimeoutStateMachineArn)
 *   npm run sweep -- --local [--concurrency <n>] [--batch <n>]
 *
 * Deployed: an EXPRESS state machine runs with StartSyncExecution and its output is printed; a
 * STANDARD one is started and polled until it ends. --local runs the same ASL file in-process with
 * aws-local-stepfunctions, its Task answered by the real handlers/sweep-shard.ts, against
 * REDIS_URL, DATABASE_URL and WEBSOCKET_MANAGEMENT_ENDPOINT (plus the usual presence settings:
 * STATUS_SHARDS, PRESENCE_TIMEOUT_SECONDS, SWEEP_BATCH_SIZE, ...).
 * Exit code: 0 when every shard was swept, 1 when the execution or any shard failed, 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';

const OUTPUT_KEY = 'PresenceTimeoutStateMachineArn';
const LOCAL_FUNCTION_ARN = 'arn:aws:lambda:local:000000000000:function:SweepShardFunction';

const USAGE = `Usage:
  npm run sweep -- --arn <stateMachineArn> [--region <region>]
  npm run sweep -- --stack <stackName> [--region <region>]
  npm run sweep -- --local [--concurrency <n>] [--batch <n>]`;

class UsageError extends Error {}

interface ShardResult {
  shard: number;
  batches?: number;
  timedOut?: number;
  notifications?: number;
  error?: string;
}

/** Prints the execution output and a one-line summary; resolves the exit code. */
function report(output: unknown): number {
  console.log(JSON.stringify(output, null, 2));
  const shards = ((output as { shards?: unknown })?.shards ?? []) as ShardResult[];
  if (!Array.isArray(shards)) return 0;
  const sum = (field: 'timedOut' | 'notifications' | 'batches') => shards.reduce((total, s) => total + (s[field] ?? 0), 0);
  const failed = shards.filter((s) => s.error);
  console.log(
    `\n${shards.length} shards, ${sum('batches')} batches: ${sum('timedOut')} users timed out, ${sum('notifications')} notifications` +
      (failed.length > 0 ? `; FAILED shards: ${failed.map((s) => `${s.shard} (${s.error})`).join(', ')}` : ''),
  );
  return failed.length > 0 ? 1 : 0;
}

async function stackOutputArn(stackName: string, region: string | undefined): Promise<string> {
  const cloudformation = new CloudFormationClient({ region });
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  const arn = Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === OUTPUT_KEY)?.OutputValue;
  if (!arn) throw new UsageError(`Stack ${stackName} has no output ${OUTPUT_KEY}`);
  return arn;
}

async function runDeployed(arn: string, region: string | undefined): Promise<number> {
  const sfn = new SFNClient({ region });
  const { type } = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
  const name = `manual-${new Date()
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14)}-${Math.random().toString(36).slice(2, 8)}`;
  console.error(`Starting ${type} execution ${name} of ${arn}`);
  if (type === 'EXPRESS') {
    const result = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: arn, name, input: '{}' }));
    if (result.status !== 'SUCCEEDED') {
      console.error(`Execution ${result.status}: ${result.error ?? ''} ${result.cause ?? ''}`);
      return 1;
    }
    return report(JSON.parse(result.output ?? 'null'));
  }
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: '{}' }));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') continue;
    if (execution.status !== 'SUCCEEDED') {
      console.error(`Execution ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`);
      return 1;
    }
    return report(JSON.parse(execution.output ?? 'null'));
  }
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${name} must be a positive integer`);
  return parsed;
}

async function runLocal(concurrency: number | undefined, batch: number | undefined): Promise<number> {
  // Loaded here: the configuration and the local runner are needed only for --local.
  const { loadConfig } = await import('../layers/core/config');
  const { closeRuntime } = await import('../layers/core/runtime');
  const { runLocally, substitute } = await import('../local/sweep/local-execution');
  const config = loadConfig(process.env);
  if (!config.managementEndpoint) throw new UsageError('--local needs WEBSOCKET_MANAGEMENT_ENDPOINT (e.g. the local runtime of npm start)');
  process.env.AWS_REGION ??= 'us-east-1';
  // The local Management API verifies every signature with the local stack's fixed credentials.
  const { localCredentialEnvironment } = await import('../local/aws-credentials');
  for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];
  Object.assign(process.env, localCredentialEnvironment());
  const definition = substitute({
    SweepShardFunctionArn: LOCAL_FUNCTION_ARN,
    StatusShardCount: config.presence.statusShards,
    SweepMaxConcurrency: concurrency ?? positiveInt(process.env.SWEEP_MAX_CONCURRENCY, 'SWEEP_MAX_CONCURRENCY') ?? 16,
    SweepBatchSize: batch ?? config.presence.sweepBatchSize,
  });
  const { handler } = await import('../handlers/sweep-shard');
  try {
    const { output } = await runLocally(definition, { [LOCAL_FUNCTION_ARN]: handler as never });
    return report(output);
  } finally {
    await closeRuntime();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      arn: { type: 'string' },
      stack: { type: 'string' },
      region: { type: 'string' },
      local: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      batch: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const modes = [values.arn !== undefined, values.stack !== undefined, values.local].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('Give exactly one of --arn, --stack or --local');
  if (values.local) return runLocal(positiveInt(values.concurrency, 'concurrency'), positiveInt(values.batch, 'batch'));
  const region = values.region ?? process.env.AWS_REGION;
  const arn = values.arn ?? (await stackOutputArn(values.stack!, region));
  return runDeployed(arn, region);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  },
);
