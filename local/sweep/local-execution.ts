/**
 * Runs statemachines/presence-timeout.asl.json locally with aws-local-stepfunctions, each Task
 * mapped to a real Lambda handler called in-process (the local runtime's schedule, tests and
 * `npm run sweep -- --local`). Only local tooling loads this file; the Lambda bundles never do.
 */
import '../polyfills';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { lambdaContext } from '../lambda/context';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

export const ASL_FILE = join(__dirname, '..', '..', 'statemachines', 'presence-timeout.asl.json');

/** The DefinitionSubstitutions template.yaml passes to the state machine, and nothing else. */
export const SUBSTITUTION_NAMES = ['SweepShardFunctionArn', 'StatusShardCount', 'SweepMaxConcurrency', 'SweepBatchSize'] as const;
export type Substitutions = Record<(typeof SUBSTITUTION_NAMES)[number], string | number>;

/** The optimized Lambda integration every Task of the workflow uses. */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** The raw ASL text, placeholders and all. */
export function aslText(): string {
  return readFileSync(ASL_FILE, 'utf8');
}

/** Every ${Name} placeholder the definition uses. */
export function placeholders(text = aslText()): string[] {
  return [...new Set([...text.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1]!))].sort();
}

/**
 * Applies DefinitionSubstitutions as CloudFormation does (plain text replacement of ${Name}) and
 * parses the result. Fails on a placeholder the template does not define.
 */
export function substitute(values: Substitutions, text = aslText()): StateMachineDefinition {
  const unknown = placeholders(text).filter((name) => !(SUBSTITUTION_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`ASL uses placeholders template.yaml does not substitute: ${unknown.join(', ')}`);
  const replaced = text.replace(/\$\{([^}]*)\}/g, (_, name: keyof Substitutions) => String(values[name]));
  return JSON.parse(replaced) as StateMachineDefinition;
}

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Mirrors the error lambda:invoke reports for a function error: Error = the error's type. */
class LambdaFunctionError extends Error {
  constructor(errorType: string, message: string) {
    super(message);
    this.name = errorType;
  }
}

type TaskHandler = (input: unknown) => Promise<Record<string, unknown>>;

/**
 * Maps every `arn:aws:states:::lambda:invoke` Task of a definition to the in-process handler named
 * by its FunctionName, answering with the integration's output shape ({ Payload, StatusCode, ... }).
 */
export function lambdaInvokeHandlers(
  definition: StateMachineDefinition,
  functions: Record<string, LambdaHandler>,
): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  const visit = (states: Record<string, unknown>): void => {
    for (const [name, raw] of Object.entries(states)) {
      const state = raw as {
        Type: string;
        Resource?: string;
        Parameters?: { FunctionName?: string };
        ItemProcessor?: { States: Record<string, unknown> };
        Iterator?: { States: Record<string, unknown> };
        Branches?: { States: Record<string, unknown> }[];
      };
      if (state.Type === 'Task') {
        if (state.Resource !== LAMBDA_INVOKE) throw new Error(`Task ${name} uses ${state.Resource}; only ${LAMBDA_INVOKE} runs locally`);
        const functionName = state.Parameters?.FunctionName ?? '';
        const fn = functions[functionName];
        if (!fn) throw new Error(`Task ${name} invokes ${functionName}, which has no local handler`);
        handlers[name] = async (input) => {
          const { Payload } = input as { Payload: unknown };
          try {
            const output = await fn(Payload, lambdaContext({ functionName: name, deadline: Date.now() + 60_000 }));
            return { ExecutedVersion: '$LATEST', Payload: output as never, StatusCode: 200 };
          } catch (error) {
            const err = error instanceof Error ? error : new Error(String(error));
            throw new LambdaFunctionError(err.name || 'Error', err.message);
          }
        };
      }
      const nested = state.ItemProcessor ?? state.Iterator;
      if (nested) visit(nested.States);
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  visit(definition.States);
  return handlers;
}

export interface LocalRunOptions {
  /** Retry waits per Task state in ms (instead of IntervalSeconds/backoff/jitter), e.g. { SweepBatch: 0 }. */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** Also record the execution's event log (state inputs and outputs). */
  collectEvents?: boolean;
}

/** The parts of an aws-local-stepfunctions event the callers look at. */
export interface LocalEvent {
  type: string;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  index?: number;
}

export interface LocalExecution {
  output: unknown;
  events: LocalEvent[];
}

/** Runs the definition once, every lambda:invoke Task answered by `functions[FunctionName]`. */
export async function runLocally(
  definition: StateMachineDefinition,
  functions: Record<string, LambdaHandler>,
  input: Record<string, unknown> = {},
  options: LocalRunOptions = {},
): Promise<LocalExecution> {
  const machine = new StateMachine(definition);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: lambdaInvokeHandlers(definition, functions) as never,
      retryIntervalOverrides: options.retryIntervalOverrides,
    },
  });
  const events: LocalEvent[] = [];
  const collecting = options.collectEvents
    ? (async () => {
        for await (const event of execution.eventLogs) events.push(event);
      })()
    : Promise.resolve();
  const [output] = await Promise.all([execution.result, collecting]);
  return { output, events };
}
