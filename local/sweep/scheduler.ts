/**
 * Runs a template state machine (the timeout sweep) with aws-local-stepfunctions on a schedule, each
 * lambda:invoke Task answered by the real handler in this process (see local-execution.ts).
 * Runs never overlap: a tick that finds the previous run still going is skipped. The functions'
 * outputs are summed per run for the run's log line (see timeout-report.ts).
 */
import { performance } from 'node:perf_hooks';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { FunctionInvoker } from '../lambda/invoker';
import type { ExecutionRecorder } from '../meter/recorders';
import type { FunctionSpec, StateMachineSpec } from '../../template';
import { lambdaInvokeHandlers, type LambdaHandler } from './local-execution';
import type { SweepTotals } from './timeout-report';

/** Watches one run: start() before it, the returned function with its totals after it. */
export interface SweepRunReporter {
  start(): Promise<(totals: SweepTotals, durationMs: number) => Promise<void>>;
}

export interface SweepSchedulerOptions {
  machine: StateMachineSpec;
  invoker: FunctionInvoker;
  functions: Iterable<FunctionSpec>;
  intervalMs: number;
  log: (line: string) => void;
  reporter?: SweepRunReporter;
  /** The local stack's meter: told of each execution's duration and states entered. */
  meter?: ExecutionRecorder;
}

interface BatchOutput {
  timedOut?: number;
  notifications?: number;
  connectionsClosed?: number;
}

interface ExecutionOutput {
  shards?: Array<{ shard: number; error?: string }>;
}

function emptyTotals(): SweepTotals {
  return { batches: 0, timedOut: 0, notifications: 0, connectionsClosed: 0, failedShards: [] };
}

export class SweepScheduler {
  private readonly stateMachine: StateMachine;
  private readonly handlers: ReturnType<typeof lambdaInvokeHandlers>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private totals = emptyTotals();

  constructor(private readonly options: SweepSchedulerOptions) {
    const definition = options.machine.definition as unknown as StateMachineDefinition;
    // Validated like Step Functions would (an invalid definition fails the start-up, not a sweep).
    this.stateMachine = new StateMachine(definition);
    // A Task's FunctionName is the function's ARN (after DefinitionSubstitutions) or its logical id.
    const functions: Record<string, LambdaHandler> = {};
    for (const spec of options.functions) {
      const invoke: LambdaHandler = async (event) => {
        const output = await options.invoker.invoke<BatchOutput | undefined>(spec, event);
        this.totals.batches += 1;
        this.totals.timedOut += output?.timedOut ?? 0;
        this.totals.notifications += output?.notifications ?? 0;
        this.totals.connectionsClosed += output?.connectionsClosed ?? 0;
        return output;
      };
      functions[spec.arn] = invoke;
      functions[spec.logicalId] = invoke;
    }
    this.handlers = lambdaInvokeHandlers(definition, functions);
  }

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
  }

  /** One execution now (skipped when one is already running); failures are logged, never thrown. */
  runOnce(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    const started = Date.now();
    this.totals = emptyTotals();
    const { log, machine, reporter } = this.options;
    // The report is a courtesy: when it cannot be prepared, the sweep still runs.
    const finish = await reporter?.start().catch((error: unknown) => {
      log(`[sweep] could not read who is stale before the run: ${String(error)}`);
      return undefined;
    });
    let output: ExecutionOutput;
    const executionStarted = performance.now();
    let transitions = Promise.resolve(0);
    try {
      const execution = this.stateMachine.run({}, { overrides: { taskResourceLocalHandlers: this.handlers as never } });
      if (this.options.meter) transitions = statesEntered(execution.eventLogs);
      output = (await execution.result) as ExecutionOutput;
    } catch (error) {
      this.metered(executionStarted, await transitions);
      log(`[sweep] ${machine.logicalId} failed after ${Date.now() - started} ms: ${String(error)}`);
      await finish?.({ ...this.totals, timedOut: 0 }, Date.now() - started).catch(() => undefined);
      return;
    }
    this.metered(executionStarted, await transitions);
    for (const shard of output?.shards ?? []) if (shard.error) this.totals.failedShards.push({ shard: shard.shard, error: shard.error });
    await finish?.(this.totals, Date.now() - started).catch((error: unknown) => log(`[sweep] run report failed: ${String(error)}`));
  }

  private metered(executionStarted: number, stateTransitions: number): void {
    this.options.meter?.executed({ durationMs: performance.now() - executionStarted, stateTransitions });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}

/** Counts the StateEntered events of an execution (Map iterations' states included) as it runs. */
async function statesEntered(events: AsyncGenerator<{ type: string }>): Promise<number> {
  let count = 0;
  try {
    for await (const event of events) if (event.type === 'StateEntered') count += 1;
  } catch {
    // A failed execution ends its event log with the failure; what was entered before it is counted.
  }
  return count;
}
