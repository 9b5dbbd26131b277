import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface ContextOptions {
  functionName: string;
  /** Epoch ms when the invocation runs out of time (middy's timeout middleware reads it). */
  deadline?: number;
  memoryMb?: number;
  invokedFunctionArn?: string;
  logStreamName?: string;
}

/** A Lambda context for handlers called in-process (local runtime, tests, benchmarks). */
export function lambdaContext(options: ContextOptions): Context {
  const deadline = options.deadline ?? Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: options.invokedFunctionArn ?? `arn:aws:lambda:us-east-1:123456789012:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 512),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: options.logStreamName ?? 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
