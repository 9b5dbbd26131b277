/**
 * `npm start`: the whole Presence API on this machine, from template.yaml, with no AWS account.
 * Reads its settings from the environment, prints every URL and backend, and shuts down cleanly on
 * Ctrl-C (SIGINT) or SIGTERM.
 */
import './polyfills';
import type { LocalApp } from './app';
import { checkDependencies } from './backends/preflight';
import { DEMO_USERS } from './backends/demo-data';
import { KEY_DIR } from './settings';
import { publishStack, stackRecordOf, stacksDir, type StackRecord } from './stacks';
import { readStartOptions } from './start-options';
import { startupFailureLine, type PortNames } from './startup-failure';

function timestamped(line: string): void {
  console.log(`${new Date().toISOString().slice(11, 23)} ${line}`);
}

function banner(app: LocalApp, embeddedDatabase: boolean, stack: StackRecord): string {
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
    `  Timeout sweep        every ${app.sweepIntervalSeconds} s; a client silent for ${timeout} s is timed out (PRESENCE_TIMEOUT_SECONDS)`,
    '  Log below            one line per connection, WebSocket route invocation, REST call, and sweep that timed someone out',
    `  Handler logs         the functions' own JSON lines at ${process.env.POWERTOOLS_LOG_LEVEL} and above (POWERTOOLS_LOG_LEVEL=INFO or DEBUG for more)`,
    `  Stack file           ${stacksDir()}/${stack.name}.json (the local commands find this stack through it)`,
    '',
    ...app.warnings.flatMap((warning) => [`  WARNING: ${warning}`, '']),
    `  Connect as a user    npm run ws -- alice        (${users})`,
    '  Run one function     npm run invoke -- UpdatePresenceFunction    (sample events in events/)',
    '  Live connections     npm run connections',
    '  Sweep now            npm run sweep -- --local',
    `  Query                curl -H "Authorization: $(npm run --silent token -- bob)" ${app.urls.rest}/presence`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

let ports: PortNames | undefined;

async function main(): Promise<void> {
  const options = readStartOptions(process.env);
  ports = options;
  console.log(`Starting the local Presence API${options.databaseUrl ? '' : ' (the embedded PostgreSQL takes a few seconds to initialise)'}…`);
  // A Redis or PostgreSQL that cannot be used stops us before the rest of the stack is even loaded.
  await checkDependencies({ redisUrl: options.redisUrl, checkRedis: options.redisMode !== 'emulator', databaseUrl: options.databaseUrl });
  const { createLocalApp } = await import('./app');
  const app = await createLocalApp({ ...options, keyDir: KEY_DIR, inheritEnv: process.env, log: timestamped });

  const stack = stackRecordOf(app, KEY_DIR);
  const unpublish = publishStack(stack);
  console.log(banner(app, !options.databaseUrl, stack));

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
    unpublish();
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
  console.error(startupFailureLine(error, ports));
  process.exit(1);
});
