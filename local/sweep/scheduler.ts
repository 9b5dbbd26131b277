/**
 * Runs a template state machine (the timeout sweep) with aws-local-stepfunctions on a schedule, each
 * lambda:invoke Task answered by the real handler in this process (see local-execution.ts).
 * Runs never overlap: a tick that finds the previous run still going is skipped.
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { FunctionInvoker } from '../lambda/invoker';
import type { FunctionSpec, StateMachineSpec } from '../template';
import { lambdaInvokeHandlers, type LambdaHandler } from './local-execution';

export interface SweepSchedulerOptions {
  machine: StateMachineSpec;
  invoker: FunctionInvoker;
  functions: Iterable<FunctionSpec>;
  intervalMs: number;
  log: (line: string) => void;
}

export class SweepScheduler {
  private readonly stateMachine: StateMachine;
  private readonly handlers: ReturnType<typeof lambdaInvokeHandlers>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: SweepSchedulerOptions) {
    const definition = options.machine.definition as unknown as StateMachineDefinition;
    // Validated like Step Functions would (an invalid definition fails the start-up, not a sweep).
    this.stateMachine = new StateMachine(definition);
    // A Task's FunctionName is the function's ARN (after DefinitionSubstitutions) or its logical id.
    const functions: Record<string, LambdaHandler> = {};
    for (const spec of options.functions) {
      const invoke: LambdaHandler = (event) => options.invoker.invoke(spec, event);
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
    if (this.running) return this.running;
    const started = Date.now();
    const execution = this.stateMachine.run({}, { overrides: { taskResourceLocalHandlers: this.handlers as never } });
    this.running = execution.result
      .then(() => undefined)
      .catch((error: unknown) =>
        this.options.log(`[sweep] ${this.options.machine.logicalId} failed after ${Date.now() - started} ms: ${String(error)}`),
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
