import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';

/** Powertools' numeric log levels (LogLevelThreshold). */
const LEVELS = { DEBUG: 8, INFO: 12 } as const;

/**
 * Lambda's concurrent mode (and the local runtime, which runs many invocations in one process): every
 * invocation's context must be added when it starts, into Powertools' per-invocation store.
 */
const CONCURRENT = 'AWS_LAMBDA_MAX_CONCURRENCY' in process.env;

/**
 * Powertools' Logger, with two changes measured on the hottest path:
 * - each function's own cold start: Powertools takes it from AWS_LAMBDA_INITIALIZATION_TYPE once per
 *   process, so in the local runtime (every function in one process) every line said cold_start: false;
 * - one invocation at a time (Lambda's usual mode), the invocation's context is added when its first
 *   line is written, not when it starts: a heartbeat that writes nothing does not pay for it (adding a
 *   context costs environment lookups), and a line below the level costs nothing at all.
 */
class PresenceLogger extends Logger {
  #coldStart = false;
  #pending: { context: Context; coldStart: boolean } | undefined;
  /** The level, read once: nothing here changes it at run time (no sampling), and reading it costs an environment lookup. */
  readonly #threshold = this.level;

  /** The invocation's Lambda context on every line it writes (request id, function, cold start). */
  startInvocation(context: Context, coldStart: boolean): void {
    if (CONCURRENT) this.#addContext(context, coldStart);
    else this.#pending = { context, coldStart };
  }

  /** Whether a line of this level would be written (so a caller can skip building it). */
  writes(level: keyof typeof LEVELS): boolean {
    return this.#threshold <= LEVELS[level];
  }

  protected override processLogItem(logLevel: number, input: LogItemMessage, extraInput: LogItemExtraInput): void {
    if (logLevel < this.#threshold) return;
    const pending = this.#pending;
    if (pending) {
      this.#pending = undefined;
      this.#addContext(pending.context, pending.coldStart);
    }
    super.processLogItem(logLevel, input, extraInput);
  }

  #addContext(context: Context, coldStart: boolean): void {
    this.#coldStart = coldStart;
    this.addContext(context);
  }

  protected override getColdStart(): boolean {
    const coldStart = this.#coldStart;
    this.#coldStart = false;
    return coldStart;
  }
}

/**
 * The one place logging is configured. Structured JSON; tokens never reach it
 * because handlers log ids and outcomes, never raw events or headers.
 */
export const logger = new PresenceLogger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'presence-api',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'SILENT' : 'INFO')) as 'INFO',
});
