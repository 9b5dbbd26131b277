/**
 * `npm start`: the whole Presence API on this machine, from template.yaml, with no AWS account.
 * Reads its settings from the environment, prints every URL and backend, and shuts down cleanly on
 * Ctrl-C (SIGINT) or SIGTERM.
 */
import './polyfills';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createLocalApp, type LocalApp } from './app';
import { DEMO_USERS } from './backends/demo-data';
import { RedisUnavailableError, parseRedisMode } from './backends/redis';
import { DEFAULT_IDP_PORT, DEFAULT_PORT, DEFAULT_WS_PORT, KEY_DIR, LOCAL_DIR, STACK_FILE, portFromEnv, type StackFile } from './settings';

function intFromEnv(name: string): number | undefined {
  const raw = process.env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

function timestamped(line: string): void {
  console.log(`${new Date().toISOString().slice(11, 23)} ${line}`);
}

function banner(app: LocalApp, embeddedDatabase: boolean): string {
  // The stack has written the effective handler settings into process.env.
  const timeout = process.env.PRESENCE_TIMEOUT_SECONDS;
  const users = embeddedDatabase ? `demo users: ${DEMO_USERS.map((u) => u.userId).join(', ')}` : 'any user_id of your database';
  return [
    '',
    'Presence API is running locally (routes and handlers from template.yaml, no AWS account needed)',
    '',
    `  Try it in a browser  ${app.urls.page}`,
    `  REST API             ${app.urls.rest}   GET /presence, GET /presence/{userId}  (header Authorization: <token>)`,
    `  WebSocket API        ${app.urls.websocket}   append ?Authorization=<token>`,
    `  Management API       ${app.urls.managementApi}/@connections/{connectionId}`,
    `  JWKS (local issuer)  ${app.urls.jwks}`,
    '',
    `  Redis                ${app.backends.redis}`,
    `  PostgreSQL           ${app.backends.postgres}`,
    `  Timeout sweep        every ${app.sweepIntervalSeconds} s (presence timeout: ${timeout} s)`,
    `  Handler logs         ${process.env.POWERTOOLS_LOG_LEVEL} and above (POWERTOOLS_LOG_LEVEL=INFO shows every invocation)`,
    '',
    ...app.warnings.flatMap((warning) => [`  WARNING: ${warning}`, '']),
    `  Get a token          npm run --silent token -- alice        (${users})`,
    `  Connect              npx wscat -c "${app.urls.websocket}?Authorization=$(npm run --silent token -- alice)"`,
    `  Query                curl -H "Authorization: $(npm run --silent token -- bob)" ${app.urls.rest}/presence`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL?.trim() || undefined;
  console.log(`Starting the local Presence API${databaseUrl ? '' : ' (the embedded PostgreSQL takes a few seconds to initialise)'}…`);
  const app = await createLocalApp({
    port: portFromEnv('PORT', DEFAULT_PORT),
    wsPort: portFromEnv('WS_PORT', DEFAULT_WS_PORT),
    idpPort: portFromEnv('IDP_PORT', DEFAULT_IDP_PORT),
    keyDir: KEY_DIR,
    databaseUrl,
    redisUrl: process.env.REDIS_URL?.trim() || undefined,
    redisMode: parseRedisMode(process.env.LOCAL_REDIS),
    redisKeyPrefix: process.env.REDIS_KEY_PREFIX?.trim() || undefined,
    presenceTimeoutSeconds: intFromEnv('PRESENCE_TIMEOUT_SECONDS'),
    statusShards: intFromEnv('STATUS_SHARDS'),
    sweepIntervalSeconds: intFromEnv('SWEEP_INTERVAL_SECONDS'),
    idleTimeoutSeconds: intFromEnv('WS_IDLE_TIMEOUT_SECONDS'),
    maxConnectionSeconds: intFromEnv('WS_MAX_CONNECTION_SECONDS'),
    inheritEnv: process.env,
    // The handlers' JSON logs (INFO per invocation in AWS) would bury the gateway's one-line log.
    logLevel: process.env.POWERTOOLS_LOG_LEVEL?.trim() || 'WARN',
    log: timestamped,
  });

  mkdirSync(LOCAL_DIR, { recursive: true });
  const stackFile: StackFile = { pid: process.pid, issuer: app.issuer, clientId: app.clientId, restUrl: app.urls.rest, websocketUrl: app.urls.websocket };
  writeFileSync(STACK_FILE, `${JSON.stringify(stackFile, null, 2)}\n`);
  console.log(banner(app, !databaseUrl));

  let stoppingSince = 0;
  const stop = (signal: string) => {
    if (stoppingSince) {
      // `npm start` forwards the terminal's Ctrl-C to us as well: a duplicate within a second is the same press.
      if (Date.now() - stoppingSince < 1000) return;
      console.error('Forced exit.');
      process.exit(1);
    }
    stoppingSince = Date.now();
    console.log(`\n${signal}: stopping (closing WebSockets, running $disconnect, stopping backends)…`);
    rmSync(STACK_FILE, { force: true });
    app.close().then(
      () => {
        console.log('Stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('Shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof RedisUnavailableError) console.error(`\n${error.message}\n`);
  else if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    console.error(`\nA port is already in use (${(error as Error).message}). Stop the other process or choose ports with PORT, WS_PORT and IDP_PORT.\n`);
  } else console.error('\nThe local stack failed to start:', error);
  process.exit(1);
});
