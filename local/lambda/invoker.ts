/**
 * Calls the real handlers in this process, the way Lambda would: the module named by the template's
 * EntryPoints is loaded on first use (after the local runtime has set process.env, because handlers
 * read their configuration at module load), then each call gets a fresh Lambda context and the
 * function's Timeout.
 */
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import { performance } from 'node:perf_hooks';
import type { LambdaRecorder } from '../meter/recorders';
import type { FunctionSpec } from '../../template';
import { lambdaContext } from './context';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Lambda's own error when a function runs past its Timeout. */
export class FunctionTimeoutError extends Error {
  constructor(spec: FunctionSpec) {
    super(`${spec.logicalId} timed out after ${spec.timeoutSeconds} seconds`);
    this.name = 'FunctionTimeoutError';
  }
}

export class FunctionInvoker {
  private readonly loaded = new Map<string, Handler>();
  /**
   * Lambda's invocation store in its concurrent mode (AWS_LAMBDA_MAX_CONCURRENCY, set by the local
   * environment): this process runs many invocations at once, and each log line must carry its own
   * invocation's request id and cold start, as Powertools keeps them per invocation in this store.
   */
  private readonly store: Promise<InvokeStoreBase>;

  /** recorder (the local stack's meter) is told each handler's load time and each invocation. */
  constructor(
    private readonly functions: Map<string, FunctionSpec>,
    private readonly recorder?: LambdaRecorder,
  ) {
    // What Lambda sets in its concurrent mode; Powertools then scopes its state to the invocation store.
    process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '64';
    this.store = InvokeStore.getInstanceAsync(true);
  }

  spec(logicalId: string): FunctionSpec {
    const spec = this.functions.get(logicalId);
    if (!spec) throw new Error(`unknown function ${logicalId}`);
    return spec;
  }

  /**
   * Loads every handler now, so configuration errors surface at start-up and not on the first request.
   * The invocation store comes first: Powertools looks for it as soon as a handler's modules load.
   */
  async preload(): Promise<void> {
    await this.store;
    for (const spec of this.functions.values()) this.handlerOf(spec);
  }

  private handlerOf(spec: FunctionSpec): Handler {
    let handler = this.loaded.get(spec.logicalId);
    if (!handler) {
      // A plain require: tsx (npm start) and Jest (swc) both compile the TypeScript entry on the fly,
      // and it must run only now, after process.env holds the local configuration.
      const loadStarted = performance.now();
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = (require(spec.entryFile) as Record<string, unknown>)[spec.exportName];
      if (typeof exported !== 'function') throw new Error(`${spec.entryFile} does not export a function named ${spec.exportName}`);
      handler = exported as Handler;
      this.loaded.set(spec.logicalId, handler);
      this.recorder?.loaded(spec.logicalId, performance.now() - loadStarted);
    }
    return handler;
  }

  async invoke<T = unknown>(spec: FunctionSpec, event: unknown): Promise<T> {
    const store = await this.store;
    const handler = this.handlerOf(spec);
    const timeoutMs = spec.timeoutSeconds * 1000;
    const context = lambdaContext({
      functionName: spec.logicalId,
      deadline: Date.now() + timeoutMs,
      memoryMb: spec.memoryMb,
      invokedFunctionArn: spec.arn,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FunctionTimeoutError(spec)), timeoutMs);
    });
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    let failed = true;
    try {
      const invocation = store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () => handler(event, context));
      const result = (await Promise.race([invocation, timeout])) as T;
      failed = false;
      return result;
    } finally {
      clearTimeout(timer);
      if (this.recorder) {
        // The whole process's CPU: invocations that overlap each see the CPU they share (the meter's notes say so).
        const cpu = process.cpuUsage(cpuBefore);
        this.recorder.invoked(spec.logicalId, { wallMs: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, failed });
      }
    }
  }
}

/**
 * Closes the clients the handlers share (layers/core/runtime.ts). Loaded here, lazily, because
 * importing the runtime module also creates the logger, which must see the local environment.
 */
export async function closeHandlerRuntime(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtime = require('../../layers/core/runtime') as typeof import('../../layers/core/runtime');
  await runtime.closeRuntime();
}

/** The clients the loaded handlers share (their store, configuration), for the local stack's reports. */
export function handlerRuntime(): import('../../layers/core/runtime').Runtime {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtime = require('../../layers/core/runtime') as typeof import('../../layers/core/runtime');
  return runtime.getRuntime();
}
