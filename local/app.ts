/**
 * Builds the whole local stack from options and returns its URLs and a close(): backends (Redis,
 * PostgreSQL), the identity provider, the WebSocket gateway with the management API on the same port,
 * the REST gateway with the try-it page, and the scheduled timeout sweep. Everything is driven by
 * template.yaml and calls the real handlers in this process.
 *
 * Handlers keep their clients at module scope (getRuntime), so one process (one module registry)
 * runs one stack: a second createLocalApp() in the same registry is refused.
 */
import './polyfills';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadConfig, loadJwtConfig } from '../layers/core/config';
import { checkDependencies } from './backends/preflight';
import { startPostgres } from './backends/postgres';
import { startRedis, type RedisMode } from './backends/redis';
import { userDirectory } from './backends/user-directory';
import { applyEnvironment, localEnvironment } from './environment';
import { startIdentityProvider, type MintTokenOptions } from './identity-provider';
import { FunctionInvoker, closeHandlerRuntime, handlerRuntime } from './lambda/invoker';
import { handleManagementRequest } from './management-api';
import { Meter, meterPostgres, meterRedis, meterRoutes, templateFacts, type MeterReader } from './meter';
import { CognitoAuthorizer } from './rest/cognito-authorizer';
import { RestGateway } from './rest/gateway';
import { localRoutes } from './rest/local-routes';
import { LOCAL_CLIENT_ID } from './settings';
import { LocalServers } from './servers';
import { directReportStore } from './sweep/report-store';
import { SweepScheduler, type SweepRunReporter } from './sweep/scheduler';
import { TimeoutReporter } from './sweep/timeout-report';
import { rateToMs } from './sweep/schedule';
import { readStack, type LocalStackSpec } from '../template';
import { LOCAL_REGION } from '../template/intrinsics';
import { WebSocketGateway } from './websocket/gateway';

export interface LocalAppOptions {
  /** REST API and page; default 3000, 0 = any free port. */
  port?: number;
  /** WebSocket API and management API; default 3001, 0 = any free port. */
  wsPort?: number;
  /** JWKS endpoint; default 0. Fix it when minted tokens must survive a restart (the issuer has the port). */
  idpPort?: number;
  /** Persist the signing key here; default: a fresh key per start. */
  keyDir?: string;
  /** PostgreSQL to use; default: embedded PGlite with the demo users. */
  databaseUrl?: string;
  /** Redis to use; default: a redis-server from PATH on a free port, else the in-process emulation. */
  redisUrl?: string;
  /** 'emulator' forces the in-process emulation even when redisUrl is set; 'redis-server' refuses it. */
  redisMode?: RedisMode;
  redisKeyPrefix?: string;
  presenceTimeoutSeconds?: number;
  statusShards?: number;
  /** Sweep interval; default: the template's schedule. */
  sweepIntervalSeconds?: number;
  /** API Gateway: 10 minutes. */
  idleTimeoutSeconds?: number;
  /** API Gateway: 2 hours. */
  maxConnectionSeconds?: number;
  stage?: string;
  /** Host name used in the printed URLs (the servers always bind 127.0.0.1). */
  publicHost?: string;
  /** POWERTOOLS_LOG_LEVEL of the handlers. */
  logLevel?: string;
  /** Environment the template's variables may be taken from (the CLI passes process.env). */
  inheritEnv?: NodeJS.ProcessEnv;
  /** Extra handler environment, applied last. */
  env?: Record<string, string>;
  /** Gateway log lines (connections, routes, failures); default: discarded. */
  log?: (line: string) => void;
}

export interface LocalApp {
  urls: { page: string; rest: string; websocket: string; managementApi: string; jwks: string };
  ports: { rest: number; websocket: number; idp: number };
  issuer: string;
  clientId: string;
  backends: { redis: string; postgres: string };
  /** Things the user must know before trusting this stack (the Redis emulation, for one); empty normally. */
  warnings: string[];
  /** The timeout sweep's interval in seconds. */
  sweepIntervalSeconds: number;
  /** The environment the handlers run with (what `npm run invoke` and `sweep --local` reuse). */
  handlerEnvironment: Record<string, string>;
  /** A Cognito-shaped token the stack accepts. */
  mintToken(userId: string, options?: Omit<MintTokenOptions, 'userId' | 'clientId'> & { clientId?: string }): string;
  /** Runs the timeout sweep now (tests, or a user who does not want to wait). */
  sweep(): Promise<void>;
  /** Resolves once the WebSocket gateway has no handshake, message or $disconnect in flight. */
  settle(): Promise<void>;
  /** Closes every WebSocket with 1001, as API Gateway may (a deployment, a fault); returns how many. */
  dropConnections(): number;
  /** What AWS would bill for what this stack did since it started or the last reset (`GET /local/meter`). */
  meter: MeterReader;
  close(): Promise<void>;
}

const MAX_FRAME_BYTES = 32 * 1024;
let started = false;

type Cleanups = Array<() => Promise<void>>;

/**
 * Fails fast, before anything starts, on a Redis or PostgreSQL the caller named that cannot be used,
 * and on handler settings the functions would refuse at their cold start (e.g. FRIEND_CACHE_TTL_SECONDS=abc).
 */
async function preflight(options: LocalAppOptions, stack: LocalStackSpec): Promise<void> {
  const placeholders = localEnvironment({
    template: stack.environment,
    redisUrl: 'redis://127.0.0.1:6379',
    redisKeyPrefix: options.redisKeyPrefix ?? 'presence:',
    databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
    singleDatabaseConnection: false,
    issuer: 'http://127.0.0.1:1/local-user-pool',
    jwksUri: 'http://127.0.0.1:1/local-user-pool/.well-known/jwks.json',
    clientId: LOCAL_CLIENT_ID,
    managementEndpoint: 'http://127.0.0.1:1/local',
    connectionMaxAgeSeconds: 7200,
    inherited: options.inheritEnv,
    overrides: options.env,
  });
  // The handlers read process.env, which the stack's environment is written over (applyEnvironment).
  const handlerEnv = { ...process.env, ...placeholders };
  loadConfig(handlerEnv);
  loadJwtConfig(handlerEnv);
  await checkDependencies({ redisUrl: options.redisUrl, checkRedis: options.redisMode !== 'emulator', databaseUrl: options.databaseUrl });
}

type LocalRoute = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

/** The first route that answers a request answers it. */
function chainRoutes(...routes: LocalRoute[]): LocalRoute {
  return async (request, response) => {
    for (const route of routes) if (await route(request, response)) return true;
    return false;
  };
}

/** Starts services in parallel; those that did start are registered for cleanup even when another fails. */
async function startAll<T extends readonly Promise<{ close(): Promise<void> }>[]>(
  starting: T,
  cleanups: Cleanups,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(starting);
  for (const result of results) if (result.status === 'fulfilled') cleanups.push(() => result.value.close());
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as never;
}

/** One scheduler per scheduled state machine; the template's rate, or the interval asked for. */
function startSweeps(
  stack: LocalStackSpec,
  invoker: FunctionInvoker,
  intervalSeconds: number | undefined,
  log: (line: string) => void,
  reporter: SweepRunReporter,
  meter: Meter,
) {
  const schedulers: SweepScheduler[] = [];
  let effectiveSeconds = intervalSeconds ?? 60;
  for (const machine of stack.stateMachines) {
    if (!machine.scheduleExpression) continue;
    const scheduled = rateToMs(machine.scheduleExpression);
    if (!intervalSeconds && !scheduled) log(`[sweep] ${machine.scheduleExpression} is not emulated; running every 60 s`);
    const intervalMs = intervalSeconds ? intervalSeconds * 1000 : (scheduled ?? 60_000);
    effectiveSeconds = intervalMs / 1000;
    const scheduler = new SweepScheduler({
      machine,
      invoker,
      functions: stack.functions.values(),
      intervalMs,
      log,
      reporter,
      meter: meter.stepFunctions,
    });
    scheduler.start();
    schedulers.push(scheduler);
  }
  return {
    intervalSeconds: effectiveSeconds,
    runOnce: async () => {
      await Promise.all(schedulers.map((scheduler) => scheduler.runOnce()));
    },
    stop: async () => {
      await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
    },
  };
}

export async function createLocalApp(options: LocalAppOptions = {}): Promise<LocalApp> {
  if (started) throw new Error('createLocalApp: one local stack per process (handlers keep their clients at module scope)');
  started = true;
  const log = options.log ?? (() => undefined);
  const stage = options.stage ?? 'local';
  const host = options.publicHost ?? 'localhost';
  const cleanups: Cleanups = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch((error: unknown) => log(`[stack] shutdown step failed: ${String(error)}`));
  };

  try {
    const stack = readStack({
      StageName: stage,
      CognitoUserPoolId: `${LOCAL_REGION}_local`,
      CognitoClientIds: [LOCAL_CLIENT_ID],
      ...(options.presenceTimeoutSeconds ? { PresenceTimeoutSeconds: String(options.presenceTimeoutSeconds) } : {}),
      ...(options.statusShards ? { StatusShardCount: String(options.statusShards) } : {}),
    });
    await preflight(options, stack);

    const [redis, postgres, idp] = await startAll(
      [
        startRedis(options.redisUrl, options.redisMode),
        startPostgres(options.databaseUrl),
        startIdentityProvider({ port: options.idpPort ?? 0, keyDir: options.keyDir }),
      ] as const,
      cleanups,
    );

    // The meter's proxies stand between the functions and Redis / PostgreSQL; the handlers get their URLs.
    const meter = new Meter(templateFacts(stack));
    const [meteredRedis, meteredPostgres] = await startAll(
      [meterRedis(redis.url, meter), meterPostgres(postgres.url, meter)] as const,
      cleanups,
    );

    const servers = new LocalServers();
    const ports = await servers.listen(options.port ?? 3000, options.wsPort ?? 3001);
    cleanups.push(() => servers.close());

    const maxConnectionSeconds = options.maxConnectionSeconds ?? 7200;
    const env = localEnvironment({
      template: stack.environment,
      redisUrl: meteredRedis.url,
      redisKeyPrefix: options.redisKeyPrefix ?? 'presence:',
      databaseUrl: meteredPostgres.url,
      singleDatabaseConnection: postgres.embedded,
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      clientId: LOCAL_CLIENT_ID,
      managementEndpoint: `http://127.0.0.1:${ports.websocket}/${stage}`,
      connectionMaxAgeSeconds: Math.min(7200, Math.max(1, maxConnectionSeconds)),
      logLevel: options.logLevel,
      inherited: options.inheritEnv,
      overrides: options.env,
    });
    applyEnvironment(env);

    const invoker = new FunctionInvoker(stack.functions, meter.lambda);
    // Load every handler now, after the environment is in place: configuration errors surface at
    // start-up, not on the first request.
    await invoker.preload();
    cleanups.push(() => closeHandlerRuntime());

    const websocket = new WebSocketGateway({
      api: stack.websocket,
      invoker,
      apiId: 'localws',
      stage,
      idleTimeoutMs: (options.idleTimeoutSeconds ?? 600) * 1000,
      maxConnectionMs: maxConnectionSeconds * 1000,
      maxFrameBytes: MAX_FRAME_BYTES,
      log,
      meter: meter.websocket,
    });
    cleanups.push(() => websocket.shutdown());

    const mint = (userId: string, mintOptions: Omit<MintTokenOptions, 'userId' | 'clientId'> & { clientId?: string } = {}) =>
      idp.mintToken({ ...mintOptions, userId, clientId: mintOptions.clientId ?? LOCAL_CLIENT_ID });
    const rest = new RestGateway({
      api: stack.rest,
      invoker,
      authorizer: new CognitoAuthorizer(env),
      userIdClaim: loadConfig(process.env).userIdClaim,
      apiId: 'localrest',
      stage,
      log,
      meter: meter.rest,
      fallback: chainRoutes(
        meterRoutes(meter),
        localRoutes({
          users: userDirectory(postgres),
          mintToken: (userId) => mint(userId),
          websocketPort: () => ports.websocket,
          stage,
          connections: () => websocket.list(),
        }),
      ),
    });
    servers.attach({
      rest: rest.handle,
      upgrade: (request, socket, head) => websocket.handleUpgrade(request, socket, head),
      management: handleManagementRequest(websocket, { meter: meter.management }),
    });

    const runtime = handlerRuntime();
    // The report reads Redis straight, not through the meter's proxy: AWS has no such reader to bill.
    const reportStore = directReportStore({ ...process.env, ...env }, { redisUrl: redis.url, databaseUrl: postgres.url });
    cleanups.push(() => reportStore.close());
    const reporter = new TimeoutReporter({
      store: reportStore.store,
      statusShards: runtime.config.presence.statusShards,
      timeoutMs: runtime.config.presence.timeoutMs,
      explainDeletes: (explainer) => websocket.explainDeletes(explainer),
      log,
    });
    const sweeps = startSweeps(stack, invoker, options.sweepIntervalSeconds, log, reporter, meter);
    // Stopped first on close (cleanups run in reverse), so no sweep starts while the stack goes down.
    cleanups.push(() => sweeps.stop());

    let closing: Promise<void> | undefined;
    return {
      urls: {
        page: `http://${host}:${ports.rest}/`,
        rest: `http://${host}:${ports.rest}`,
        websocket: `ws://${host}:${ports.websocket}`,
        managementApi: `http://127.0.0.1:${ports.websocket}/${stage}`,
        jwks: idp.jwksUri,
      },
      ports: { rest: ports.rest, websocket: ports.websocket, idp: idp.port },
      issuer: idp.issuer,
      clientId: LOCAL_CLIENT_ID,
      backends: { redis: redis.description, postgres: postgres.description },
      warnings: redis.warning ? [redis.warning] : [],
      sweepIntervalSeconds: sweeps.intervalSeconds,
      handlerEnvironment: env,
      mintToken: mint,
      sweep: sweeps.runOnce,
      settle: () => websocket.settle(),
      dropConnections: () => websocket.dropConnections(),
      meter,
      close: () => (closing ??= cleanup()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
