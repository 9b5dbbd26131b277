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
    // Friends are told at once when a last connection closes, unless a suite tests the offline grace.
    env: { OFFLINE_GRACE_SECONDS: '0', ...options.env },
  });
}
