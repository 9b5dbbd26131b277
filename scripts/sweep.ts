/**
 * Runs the presence timeout sweep once, on demand.
 *
 *   npm run sweep -- --arn <stateMachineArn> [--region <region>]
 *   npm run sweep -- --stack <stackName>     [--region <region>]   (reads output PresenceTimeoutStateMachineArn)
 *   npm run sweep -- --local [--verbose] [--concurrency <n>] [--batch <n>] [--stack <REST port>]
 *
 * Deployed: an EXPRESS state machine runs with StartSyncExecution and its output is printed; a
 * STANDARD one is started and polled until it ends. --local is the local runtime's command
 * (local/cli/sweep.ts, against the running `npm start`), run as its own process so that scripts/
 * never imports local/.
 * Exit code: 0 when every shard was swept, 1 when the execution or any shard failed, 2 on bad usage.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
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

const USAGE = `Usage:
  npm run sweep -- --arn <stateMachineArn> [--region <region>]
  npm run sweep -- --stack <stackName> [--region <region>]
  npm run sweep -- --local [--verbose] [--concurrency <n>] [--batch <n>] [--stack <REST port>]`;

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

/** `--local`: the local runtime's own sweep command, in a process of its own (same tsx loader). */
function runLocal(args: string[]): number {
  const command = join(__dirname, '..', 'local', 'cli', 'sweep.ts');
  const child = spawnSync(process.execPath, [...process.execArgv, command, ...args], { stdio: 'inherit' });
  return child.status ?? 1;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--local')) return runLocal(args);
  const { values } = parseArgs({
    options: {
      arn: { type: 'string' },
      stack: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const modes = [values.arn !== undefined, values.stack !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('Give exactly one of --arn, --stack or --local');
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
