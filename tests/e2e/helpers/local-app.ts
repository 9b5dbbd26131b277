import { createLocalApp, type LocalAppOptions } from '../../../local/app';
import { databaseUrl, redisUrl, testRedisPrefix } from '../../support/env';

/** The local runtime on random ports, against the run's database and its own Redis key prefix. */
export function startTestApp(suite: string, options: LocalAppOptions = {}) {
  return createLocalApp({
    logLevel: 'SILENT',
    port: 0,
    wsPort: 0,
    databaseUrl: databaseUrl(),
    redisUrl: redisUrl(),
    redisKeyPrefix: testRedisPrefix(suite),
    ...options,
  });
}
