import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one place logging is configured: Powertools Logger, structured JSON. The handler builder
 * (lambda/build.ts) adds each invocation's Lambda context with Powertools' own middleware, and the
 * invocation's log line (lambda/invocation.ts) says whether it was this function's cold start. Tokens
 * never reach it: handlers log ids and outcomes, never raw events or headers.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'presence-api',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'SILENT' : 'INFO')) as 'INFO',
});
