import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import Redis from 'ioredis';
import { lambdaContext as createLambdaContext } from '../../local/lambda/context';
import { deleteKeysWithPrefix } from './redis-keys';
import { localCredentialEnvironment } from '../../local/aws-credentials';
import { startManagementApi, type ManagementApiServer } from '../../local/management-api';
import { useSuiteDatabase } from './db';
import { redisUrl, testRedisPrefix } from './env';
import { RecordingConnections } from './recording-connections';

const ROOT = join(__dirname, '..', '..');

/** A sample event from events/, deep-copied so a test can change it freely. */
export function sampleEvent<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(ROOT, 'events', `${name}.json`), 'utf8')) as T;
}

export function lambdaContext(functionName: string): Context {
  return createLambdaContext({ functionName, logStreamName: 'test' });
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface WebSocketResult {
  statusCode: number;
  headers?: Record<string, string>;
}

let messageCounter = 0;

/** Where the handlers would connect by default; a suite may route them elsewhere (e.g. through a fault proxy). */
export interface HarnessBackends {
  databaseUrl: string;
  redisUrl: string;
}

type HarnessEnv = Record<string, string> | ((defaults: HarnessBackends) => Record<string, string>);

/**
 * Runs the real handlers in-process against real Redis, real PostgreSQL and
 * a real HTTP management API, with API Gateway-shaped events from events/.
 */
export class HandlerHarness {
  readonly connections = new RecordingConnections();
  private sink?: ManagementApiServer;
  private handlers = new Map<string, Handler>();
  /** When each connection this harness opened was opened (its events carry it, as API Gateway's do). */
  private readonly openedAt = new Map<string, number>();

  /** The suite's own database, reachable directly (seeding, assertions) whatever the handlers go through. */
  databaseUrl = '';

  constructor(
    readonly suite: string,
    private readonly env: HarnessEnv = {},
  ) {}

  get keyPrefix(): string {
    return testRedisPrefix(this.suite);
  }

  async start(): Promise<this> {
    this.sink = await startManagementApi(this.connections);
    const databaseUrl = await useSuiteDatabase(this.suite);
    this.databaseUrl = databaseUrl;
    const env = typeof this.env === 'function' ? this.env({ databaseUrl, redisUrl: redisUrl() }) : this.env;
    Object.assign(process.env, {
      REDIS_URL: redisUrl(),
      REDIS_KEY_PREFIX: this.keyPrefix,
      DATABASE_URL: databaseUrl,
      WEBSOCKET_MANAGEMENT_ENDPOINT: this.sink.endpoint,
      AWS_REGION: 'us-east-1',
      // The credentials the management API verifies every signature with.
      ...localCredentialEnvironment(),
      FRIEND_CACHE_TTL_SECONDS: '0',
      STATUS_SHARDS: '4',
      // Friends are told at once when a last connection closes, unless a suite tests the offline grace.
      OFFLINE_GRACE_SECONDS: '0',
      // The app client the sample REST events' tokens were issued to (their claims' aud), unless the suite chose its own.
      JWT_CLIENT_IDS: process.env.JWT_CLIENT_IDS ?? 'presence-local-client',
      ...env,
    });
    return this;
  }

  handler(file: string): Handler {
    let handler = this.handlers.get(file);
    if (!handler) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require(join(ROOT, 'handlers', file)) as { handler: Handler }).handler;
      this.handlers.set(file, handler);
    }
    return handler;
  }

  private ws(file: string, sample: string, userId: string | null, connectionId: string, patch: Record<string, unknown> = {}) {
    const event = sampleEvent<{ requestContext: Record<string, unknown>; [key: string]: unknown }>(sample);
    const { requestContext, ...rest } = patch as { requestContext?: Record<string, unknown> };
    Object.assign(event, rest);
    Object.assign(event.requestContext, requestContext);
    event.requestContext.connectionId = connectionId;
    // Every event of a connection carries when it opened (the sample's own date is past API Gateway's cap).
    event.requestContext.connectedAt = requestContext?.connectedAt ?? this.openedAt.get(connectionId) ?? Date.now();
    event.requestContext.authorizer = userId === null ? undefined : { principalId: userId, userId, integrationLatency: 1 };
    if (event.requestContext.eventType === 'MESSAGE') event.requestContext.messageId = `msg-${++messageCounter}`;
    return this.handler(file)(event, lambdaContext(file)) as Promise<WebSocketResult>;
  }

  connect(userId: string, connectionId: string, patch: Record<string, unknown> = {}, connectedAt = Date.now()): Promise<WebSocketResult> {
    this.connections.open(connectionId);
    this.openedAt.set(connectionId, connectedAt);
    return this.ws('connect', 'connect', userId, connectionId, { ...patch, requestContext: { connectedAt } });
  }

  heartbeat(userId: string, connectionId: string, body = JSON.stringify({ action: 'heartbeat', jwt: 'ignored' })) {
    return this.ws('heartbeat', 'heartbeat', userId, connectionId, { body });
  }

  update(userId: string, connectionId: string, page: { url: unknown; title?: unknown } | string) {
    const body = typeof page === 'string' ? page : JSON.stringify({ action: 'update-presence', ...page, jwt: 'ignored' });
    return this.ws('update-presence', 'update-presence', userId, connectionId, { body });
  }

  disconnect(userId: string, connectionId: string) {
    this.connections.drop(connectionId);
    return this.ws('disconnect', 'disconnect', userId, connectionId);
  }

  subscribe(userId: string, connectionId: string, level: string) {
    return this.ws('subscribe', 'subscribe', userId, connectionId, { body: JSON.stringify({ action: 'subscribe', level }) });
  }

  sendDefault(userId: string, connectionId: string, body: string | null) {
    return this.ws('default', 'default', userId, connectionId, { body });
  }

  private rest(file: string, sample: string, userId: string | null, patch: Record<string, unknown>) {
    const event = sampleEvent<{ requestContext: { authorizer?: { claims?: Record<string, unknown> } }; [key: string]: unknown }>(sample);
    if (userId === null) delete event.requestContext.authorizer;
    else
      event.requestContext.authorizer = { claims: { ...event.requestContext.authorizer?.claims, sub: userId, 'cognito:username': userId } };
    Object.assign(event, patch);
    return this.handler(file)(event, lambdaContext(file)) as Promise<APIGatewayProxyResult>;
  }

  getPresence(userId: string | null) {
    return this.rest('get-presence', 'get-presence', userId, {});
  }

  getUserPresence(userId: string | null, targetId: string | undefined) {
    return this.rest('get-user-presence', 'get-user-presence', userId, {
      pathParameters: targetId === undefined ? null : { userId: targetId },
    });
  }

  sweep(shard: number, startedAt = new Date().toISOString()) {
    return this.handler('sweep-shard')({ shard, startedAt }, lambdaContext('sweep-shard')) as Promise<Record<string, unknown>>;
  }

  /** Deletes this suite's Redis keys, so each test starts with nobody online. */
  async resetRedis(): Promise<void> {
    const redis = new Redis(redisUrl());
    try {
      await deleteKeysWithPrefix(redis, this.keyPrefix);
    } finally {
      redis.disconnect();
    }
  }

  async close(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { closeRuntime } = require(join(ROOT, 'layers', 'core', 'runtime')) as typeof import('../../layers/core/runtime');
    await closeRuntime();
    await this.sink?.close();
  }
}
