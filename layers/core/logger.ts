import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one place logging is configured. Structured JSON; tokens never reach it
 * because handlers log ids and outcomes, never raw events or headers.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'presence-api',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'SILENT' : 'INFO')) as 'INFO',
});
