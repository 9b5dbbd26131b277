/**
 * What an operator sees in CloudWatch, asserted on the lines real invocations print (real Redis,
 * PostgreSQL, management API and token issuer): one structured log line per invocation with this
 * function's own cold start and its own request id (also when invocations run concurrently in one
 * process, Lambda's concurrent mode), refusals with their reason and never the token, sweep runs that
 * timed someone out, and the embedded-metric-format (EMF) lines CloudWatch turns into metrics.
 */
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Pool } from 'pg';
import { KeySpace } from '../../layers/core/keys';
import { startIdentityProvider, type IdentityProvider } from '../../local/identity-provider';
import { befriend, createPool, resetTables, seedUsers } from '../support/db';
import { HandlerHarness, lambdaContext, sampleEvent } from '../support/handler-harness';
import { emfMetrics, stdoutLines } from '../support/stdout-lines';

const CLIENT_ID = 'telemetry-client';

describe('logs and metrics of real invocations', () => {
  let idp: IdentityProvider;
  const harness = new HandlerHarness('telemetry', {
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_METRICS_DISABLED: 'false',
    PRESENCE_TIMEOUT_SECONDS: '5',
    MESSAGE_RATE_LIMIT: '3',
  });
  let pool: Pool;
  const keys = new KeySpace(harness.keyPrefix, 4);

  beforeAll(async () => {
    idp = await startIdentityProvider();
    Object.assign(process.env, { JWT_ISSUER: idp.issuer, JWT_JWKS_URI: idp.jwksUri, JWT_CLIENT_IDS: CLIENT_ID, JWT_TOKEN_USE: 'id' });
    await harness.start();
    pool = createPool();
    await resetTables(pool);
    await seedUsers(pool, ['alice', 'bob']);
    await befriend(pool, 'alice', 'bob');
  });

  afterAll(async () => {
    await harness.close();
    await pool.end();
    await idp.close();
  });

  const logLines = (lines: Record<string, unknown>[], message: string) => lines.filter((line) => line.message === message);

  it('logs every WebSocket route invocation once, with route, user, pushes, duration and its own cold start', async () => {
    const { lines: connects } = await stdoutLines(async () => {
      await harness.connect('bob', 'c-bob=');
      await harness.connect('alice', 'c-alice=');
    });
    const [bobConnect, aliceConnect] = logLines(connects, 'websocket route');
    expect(bobConnect).toMatchObject({ level: 'INFO', route: '$connect', userId: 'bob', connectionId: 'c-bob=', status: 200, cold_start: true });
    expect(aliceConnect).toMatchObject({ route: '$connect', userId: 'alice', cameOnline: true, pushes: 1, cold_start: false }); // bob was told
    expect(typeof aliceConnect!.durationMs).toBe('number');

    // A routine success (fanned out at once) is logged at DEBUG only; its metrics are published all the same.
    const { lines } = await stdoutLines(() => harness.update('alice', 'c-alice=', { url: 'https://example.com/', title: 'Example' }));
    expect(logLines(lines, 'websocket route')).toEqual([]);
    const metrics = emfMetrics(lines);
    expect(metrics.get('PushesSent')?.[0]?.values).toEqual([2]);
    expect(metrics.get('FanOutSize')?.[0]?.values).toEqual([2]);
    expect(metrics.get('ColdStart')?.[0]?.values).toEqual([1]);
    expect(metrics.get('PushesSent')?.[0]?.dimensions).toEqual({ service: 'presence-api' });
  });

  it('counts messages over the budget and says so in the log line', async () => {
    await harness.connect('alice', 'c-flood=');
    const { lines } = await stdoutLines(async () => {
      for (let i = 0; i < 4; i++) await harness.heartbeat('alice', 'c-flood=');
    });
    // Three heartbeats within the budget are routine (DEBUG); the fourth, refused, is logged at INFO.
    const routes = logLines(lines, 'websocket route');
    expect(routes).toHaveLength(1);
    expect(routes[0]).toMatchObject({ level: 'INFO', route: 'heartbeat', outcome: 'refused', reason: 'rate-limited', status: 429 });
    expect(emfMetrics(lines).get('RateLimitedMessages')?.flatMap((metric) => metric.values)).toEqual([1]);
  });

  it('logs why the authorizer refused a handshake and counts it by reason, never printing the token', async () => {
    const authorize = (token?: string) => {
      const event = sampleEvent<Record<string, unknown>>('authorizer');
      event.queryStringParameters = token ? { Authorization: token } : null;
      event.headers = {};
      event.multiValueHeaders = {};
      return harness.handler('authorizer')(event, lambdaContext('authorizer')).catch((error: Error) => error);
    };
    const expired = idp.mintToken({ userId: 'alice', clientId: CLIENT_ID, expiresInSeconds: -60 });
    const foreign = idp.mintToken({ userId: 'alice', clientId: 'someone-else' });
    const { lines, raw } = await stdoutLines(async () => {
      await authorize(expired);
      await authorize(foreign);
      await authorize();
      await authorize(idp.mintToken({ userId: 'alice', clientId: CLIENT_ID }));
    });
    expect(logLines(lines, 'websocket authorizer').map((line) => [line.effect ?? line.outcome, line.reason ?? line.userId])).toEqual([
      ['Deny', 'expired'],
      ['Deny', 'wrong-audience'],
      ['refused', 'missing'],
      ['Allow', 'alice'],
    ]);
    const refusals = emfMetrics(lines).get('AuthorizerRefusals') ?? [];
    expect(refusals.map((metric) => metric.dimensions.Reason)).toEqual(['expired', 'wrong-audience', 'missing']);
    expect(raw).not.toContain(expired.split('.')[1]);
    expect(raw).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });

  it('logs a sweep batch that timed someone out (who and why) at INFO, idle ones only at DEBUG, with sweep metrics', async () => {
    await harness.connect('bob', 'c-bob-2=', {}, Date.now());
    const { lines } = await stdoutLines(async () => {
      // Everyone connected above goes silent for longer than the 5 s timeout.
      // Loaded only now: the core's logger and metrics read their settings when first loaded, after harness.start().
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { getRuntime } = require('../../layers/core/runtime') as typeof import('../../layers/core/runtime');
      const { redis } = getRuntime();
      for (const user of ['alice', 'bob']) {
        const shard = keys.shardOf(user);
        await redis.multi().zadd(keys.status(shard), 'XX', Date.now() - 60_000, user).zadd(keys.due(shard), 'XX', Date.now() - 55_000, user).exec();
      }
      for (let shard = 0; shard < 4; shard++) await harness.sweep(shard);
    });
    const batches = logLines(lines, 'sweep batch');
    expect(batches).toHaveLength(new Set([keys.shardOf('alice'), keys.shardOf('bob')]).size);
    expect(batches.flatMap((line) => line.timedOutUsers as string[]).sort()).toEqual(['alice', 'bob']);
    expect(batches[0]).toMatchObject({ level: 'INFO', why: "silent longer than their connections allow (5 s without a negotiated heartbeat), or their offline grace ended" });
    const metrics = emfMetrics(lines);
    expect(metrics.get('SweepUsersTimedOut')?.flatMap((metric) => metric.values).reduce((a, b) => a + b, 0)).toBe(2);
    expect(metrics.get('SweepBatches')?.flatMap((metric) => metric.values)).toHaveLength(4);
  });

  it("carries each invocation's own request id on its line when invocations run concurrently (Lambda's concurrent mode)", async () => {
    await stdoutLines(async () => {
      await harness.connect('alice', 'c-one=');
      await harness.connect('bob', 'c-two=');
    });
    // As Lambda's runtime does in its concurrent mode (and the local runtime): the invocation store
    // first, then AWS_LAMBDA_MAX_CONCURRENCY, and each invocation run inside the store.
    const store = await InvokeStore.getInstanceAsync(true);
    process.env.AWS_LAMBDA_MAX_CONCURRENCY = '4';
    try {
      const invocations = [
        { userId: 'alice', connectionId: 'c-one=', context: lambdaContext('heartbeat') },
        { userId: 'bob', connectionId: 'c-two=', context: lambdaContext('heartbeat') },
      ];
      const { lines } = await stdoutLines(() =>
        // Both start before either ends: each one's context is added while the other's is in flight.
        Promise.all(
          invocations.map(({ userId, connectionId, context }) => {
            const event = sampleEvent<{ requestContext: Record<string, unknown> }>('heartbeat');
            Object.assign(event.requestContext, { connectionId, authorizer: { principalId: userId, userId } });
            const requestId = { [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId };
            return store.run(requestId, () => harness.handler('heartbeat')(event, context));
          }),
        ),
      );
      const routes = logLines(lines, 'websocket route');
      expect(routes.map((line) => [line.connectionId, line.function_request_id, line.cold_start]).sort()).toEqual(
        invocations.map(({ connectionId, context }) => [connectionId, context.awsRequestId, false]).sort(),
      );
    } finally {
      delete process.env.AWS_LAMBDA_MAX_CONCURRENCY;
    }
  });
});
