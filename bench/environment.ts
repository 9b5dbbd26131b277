/**
 * The benchmark's process environment. Imported first by bench/run.ts, so
 * the static part is in place before any core module reads it at load time
 * (the logger reads its level once); the endpoints come once they are known.
 */
import { REDIS_URL, databaseUrl } from './seed';

Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  // The sink accepts any signature; the lean client still signs every post, as in AWS.
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  // Warm friend cache is the steady state of a busy container (30 s is the default).
  FRIEND_CACHE_TTL_SECONDS: process.env.FRIEND_CACHE_TTL_SECONDS ?? '30',
  // A scheduled run stops taking batches after 45 s and leaves the rest to the next run; the
  // benchmark times a whole sweep, however long it takes.
  SWEEP_TIME_BUDGET_SECONDS: '900',
  // The benchmark drives each user far above any human rate (a hub is updated many times a second):
  // the per-connection and per-user budgets (README, Failure behaviour) would defer or refuse most of
  // it, so they are set out of reach and every operation does its full work.
  MESSAGE_RATE_LIMIT: '100000',
  MESSAGE_RATE_WINDOW_SECONDS: '1',
  FLOOD_CLOSE_AFTER: '1000000',
  FANOUT_BURST: '10000',
  FANOUT_INTERVAL_MS: '1',
  // The app client the sample REST events' tokens were issued to (their claims' aud): the REST functions accept only it.
  JWT_CLIENT_IDS: 'presence-local-client',
  // Lambda runs nodejs24.x; here, on Node 20, the SDK would print its Node 22 notice once per container.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;

/** Points the handlers at the benchmark's database, key prefix and sink; before the runtime is created. */
export function configureEnv(sinkEndpoint: string, dbName: string, keyPrefix: string): void {
  Object.assign(process.env, {
    REDIS_URL,
    REDIS_KEY_PREFIX: keyPrefix,
    DATABASE_URL: databaseUrl(dbName),
    WEBSOCKET_MANAGEMENT_ENDPOINT: sinkEndpoint,
  });
}
