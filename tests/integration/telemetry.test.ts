/**
 * What an operator sees in CloudWatch, asserted on the lines real invocations print (real Redis,
 * PostgreSQL, management API and token issuer): one structured log line per invocation with this
 * function's own cold start, refusals with their reason and never the token, sweep runs that timed
 * someone out, and the embedded-metric-format (EMF) lines CloudWatch turns into metrics.
 */
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

    const { lines } = await stdoutLines(() => harness.update('alice', 'c-alice=', { url: 'https://example.com/', title: 'Example' }));
    expect(logLines(lines, 'websocket route')).toEqual([
      expect.objectContaining({ route: 'update-presence', userId: 'alice', pushes: 2, status: 200, cold_start: true, function_name: 'update-presence' }),
    ]);
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
    const routes = logLines(lines, 'websocket route');
    expect(routes).toHaveLength(4);
    expect(routes[3]).toMatchObject({ route: 'heartbeat', outcome: 'refused', reason: 'rate-limited', status: 429 });
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
      for (const user of ['alice', 'bob']) await getRuntime().redis.zadd(keys.status(keys.shardOf(user)), 'XX', Date.now() - 60_000, user);
      for (let shard = 0; shard < 4; shard++) await harness.sweep(shard);
    });
    const batches = logLines(lines, 'sweep batch');
    expect(batches).toHaveLength(new Set([keys.shardOf('alice'), keys.shardOf('bob')]).size);
    expect(batches.flatMap((line) => line.timedOutUsers as string[]).sort()).toEqual(['alice', 'bob']);
    expect(batches[0]).toMatchObject({ level: 'INFO', why: 'no heartbeat or update for 5 s' });
    const metrics = emfMetrics(lines);
    expect(metrics.get('SweepUsersTimedOut')?.flatMap((metric) => metric.values).reduce((a, b) => a + b, 0)).toBe(2);
    expect(metrics.get('SweepBatches')?.flatMap((metric) => metric.values)).toHaveLength(4);
  });
});
