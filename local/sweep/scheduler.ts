/**
 * Runs a template state machine (the timeout sweep) with aws-local-stepfunctions on a schedule. Each
 * Task state is overridden to call the real handler in this process: `arn:aws:states:::lambda:invoke`
 * tasks resolve Parameters.FunctionName against the template's functions and return Lambda's
 * `{ Payload, StatusCode }`; tasks whose Resource is a function ARN get the input as the event.
 * Runs never overlap: a tick that finds the previous run still going is skipped.
 */
import '../polyfills';
import { StateMachine } from 'aws-local-stepfunctions';
import type { FunctionInvoker } from '../lambda/invoker';
import type { FunctionSpec, StateMachineSpec } from '../template';

type Json = unknown;
type LocalHandler = (input: Json) => Promise<Json>;

interface StateDefinition {
  Type?: string;
  Resource?: string;
  Iterator?: { States?: Record<string, StateDefinition> };
  ItemProcessor?: { States?: Record<string, StateDefinition> };
  Branches?: Array<{ States?: Record<string, StateDefinition> }>;
}

/** Every Task state, including those nested in Map and Parallel states, by name. */
function taskStates(states: Record<string, StateDefinition> | undefined, into = new Map<string, string>()): Map<string, string> {
  for (const [name, state] of Object.entries(states ?? {})) {
    if (state.Type === 'Task' && state.Resource) into.set(name, state.Resource);
    taskStates(state.Iterator?.States, into);
    taskStates(state.ItemProcessor?.States, into);
    for (const branch of state.Branches ?? []) taskStates(branch.States, into);
  }
  return into;
}

/** A function name, a full or partial ARN, optionally with a version or alias qualifier. */
function findFunction(functions: Iterable<FunctionSpec>, nameOrArn: string): FunctionSpec | undefined {
  for (const spec of functions) {
    if (nameOrArn === spec.logicalId || nameOrArn === spec.arn || nameOrArn.startsWith(`${spec.arn}:`)) return spec;
  }
  return undefined;
}

export interface SweepSchedulerOptions {
  machine: StateMachineSpec;
  invoker: FunctionInvoker;
  functions: Iterable<FunctionSpec>;
  intervalMs: number;
  log: (line: string) => void;
}

export class SweepScheduler {
  private readonly stateMachine: StateMachine;
  private readonly handlers: Record<string, LocalHandler> = {};
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: SweepSchedulerOptions) {
    // Validated like Step Functions would (an invalid definition fails the start-up, not a sweep).
    this.stateMachine = new StateMachine(options.machine.definition as never);
    const functions = [...options.functions];
    for (const [stateName, resource] of taskStates(options.machine.definition.States as Record<string, StateDefinition>)) {
      this.handlers[stateName] = this.taskHandler(stateName, resource, functions);
    }
  }

  private taskHandler(stateName: string, resource: string, functions: FunctionSpec[]): LocalHandler {
    if (resource.startsWith('arn:aws:states:::lambda:invoke')) {
      return async (input) => {
        const { FunctionName, Payload } = (input ?? {}) as { FunctionName?: string; Payload?: Json };
        const spec = FunctionName ? findFunction(functions, FunctionName) : undefined;
        if (!spec) throw new Error(`${stateName}: no template function named ${String(FunctionName)}`);
        const result = await this.options.invoker.invoke(spec, Payload ?? {});
        return { ExecutedVersion: '$LATEST', Payload: result ?? null, StatusCode: 200 };
      };
    }
    const spec = findFunction(functions, resource);
    if (!spec) {
      return async () => {
        throw new Error(`${stateName}: Task resource ${resource} is not emulated locally`);
      };
    }
    return (input) => this.options.invoker.invoke(spec, input);
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
      .catch((error: unknown) => this.options.log(`[sweep] ${this.options.machine.logicalId} failed after ${Date.now() - started} ms: ${String(error)}`))
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
