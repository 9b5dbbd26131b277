import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/**
 * Powertools' Logger with each function's own cold start. Powertools takes the cold start from
 * AWS_LAMBDA_INITIALIZATION_TYPE once per process, so in the local runtime (every function in one
 * process) every line said cold_start: false; the handler builder tells it per function instead.
 */
class PresenceLogger extends Logger {
  #coldStart = false;

  /** Adds this invocation's Lambda context to every line (request id, function, cold start). */
  startInvocation(context: Context, coldStart: boolean): void {
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
