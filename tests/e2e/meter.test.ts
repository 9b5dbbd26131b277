/**
 * The meter through the local stack: a known script of frames, handshakes and REST calls, then its
 * counts asserted exactly against what the clients sent and received (messages each way, connects,
 * invocations per function, REST requests, @connections posts, payload bytes), billed duration
 * against wall time, Redis and PostgreSQL counted at the wire (one script call per heartbeat), a
 * sweep counted as one Express execution, a reset that zeroes everything, and `npm run meter`; and the
 * counting proxy under Redis faults (a reset, a kill and an empty restart) with the functions' own client.
 */
import type { Pool } from 'pg';
import { loadConfig } from '../../layers/core/config';
import { createRedisClient } from '../../layers/core/redis/client';
import { Meter, meterRedis, type MeterSnapshot } from '../../local/meter';
import { befriend, createPool, seedUsers } from '../support/db';
import { FaultProxy } from '../support/fault-proxy';
import { elapsedMs, untilOk, watchProcessErrors } from '../support/faults';
import { PrivateRedis } from '../support/redis-server';
import { runTsx } from './helpers/commands';
import { startPublishedApp, type PublishedApp } from './helpers/published-app';
import { TestClient, ofType } from './helpers/ws-client';
import { TestSockets } from './helpers/test-sockets';

const ALICE = 'e2e-meter-alice';
const BOB = 'e2e-meter-bob';
const SHARDS = 2;

let published: PublishedApp;
let pool: Pool;
const sockets = new TestSockets(app);

/** What the test's clients received, counted at the client. */
const received = { frames: 0, bytes: 0 };
/** What the test sent: data frames and their payload bytes. */
const sent = { frames: 0, bytes: 0 };

beforeAll(async () => {
  pool = createPool();
  await seedUsers(pool, [
    { id: ALICE, firstName: 'Alice', shareMode: 'default_all' },
    { id: BOB, firstName: 'Bob', shareMode: 'default_all' },
  ]);
  await befriend(pool, ALICE, BOB);
  // No scheduled sweep during the script: the one sweep it runs is its own.
  published = await startPublishedApp('e2e-meter', { sweepIntervalSeconds: 3600, statusShards: SHARDS });
}, 30_000);

afterEach(async () => {
  // A failed test leaves no socket open for the next one.
  await sockets.closeAll();
});

afterAll(async () => {
  await published?.close();
  await pool?.end();
});

function app() {
  return published.app;
}

const wsUrl = (query = ''): string => sockets.url(query);

async function connectAs(userId: string): Promise<TestClient> {
  const client = await sockets.connectAs(userId);
  client.socket.on('message', (data: Buffer) => {
    received.frames += 1;
    received.bytes += data.length;
  });
  return client;
}

function send(client: TestClient, frame: unknown): void {
  const text = JSON.stringify(frame);
  sent.frames += 1;
  sent.bytes += Buffer.byteLength(text);
  client.send(text);
}

/** A REST call; its response body's bytes are added to restBytesOut. */
const rest = { bytesOut: 0 };
async function restCall(path: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${app().ports.rest}${path}`, init);
  rest.bytesOut += (await response.arrayBuffer()).byteLength;
  return response.status;
}

async function localGet(path: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${app().ports.rest}${path}`);
  expect(response.status).toBe(200);
  return response.json();
}

function lambdaOf(snapshot: MeterSnapshot, logicalId: string) {
  const fn = snapshot.lambda[logicalId];
  if (!fn) throw new Error(`the meter has no function ${logicalId}`);
  return fn;
}

/**
 * Waits until the function has finished this many invocations: the proof that a frame sent has been
 * handled (settle() alone cannot see a frame still on its way to the gateway).
 */
async function invocationsReach(logicalId: string, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (lambdaOf(app().meter.snapshot(), logicalId).invocations < count) {
    if (Date.now() > deadline) throw new Error(`${logicalId} did not reach ${count} invocations within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await app().settle();
}

describe('the meter', () => {
  it('counts a known script exactly', async () => {
    await app().settle();
    app().meter.reset();

    // Handshakes: two refused (no token, a forged one), two opened.
    expect(await TestClient.refusal(wsUrl())).toBe(401);
    expect(await TestClient.refusal(wsUrl('?Authorization=not.a.token'))).toBe(403);
    const alice = await connectAs(ALICE);
    const bob = await connectAs(BOB);
    // Bob came online: alice is told (push 1).
    await alice.next(ofType('update-presence', BOB));

    send(alice, { action: 'heartbeat' });
    send(bob, { action: 'heartbeat' });
    await invocationsReach('HeartbeatFunction', 2);

    // One heartbeat measured alone: one script call, and nothing else sent to Redis.
    const beforeHeartbeat = app().meter.snapshot().redis;
    send(alice, { action: 'heartbeat' });
    await invocationsReach('HeartbeatFunction', 3);
    const afterHeartbeat = app().meter.snapshot().redis;
    expect(afterHeartbeat.scriptCalls - beforeHeartbeat.scriptCalls).toBe(1);
    expect(afterHeartbeat.commands - beforeHeartbeat.commands).toBe(1);
    expect(afterHeartbeat.bytesIn).toBeGreaterThan(beforeHeartbeat.bytesIn);
    expect(afterHeartbeat.bytesOut).toBeGreaterThan(beforeHeartbeat.bytesOut);

    // An update reaches bob and alice herself (pushes 2 and 3); an unknown action is answered with an error (push 4).
    send(alice, { action: 'update-presence', url: 'https://en.wikipedia.org/wiki/Meter', title: 'Metre - Wikipedia' });
    await bob.next(ofType('update-presence', ALICE));
    await alice.next(ofType('update-presence', ALICE));
    send(alice, { action: 'no-such-action' });
    await alice.next(ofType('error'));

    // A ping is a control frame, not a message; its pong proves the gateway has read it.
    await new Promise<void>((resolve) => {
      alice.socket.once('pong', () => resolve());
      alice.socket.ping();
    });

    // Alice leaves (a close frame): bob is told (push 5). Then bob leaves, with nobody left to tell.
    await alice.close();
    await bob.next(ofType('presence-timeout', ALICE));
    await bob.close();
    await invocationsReach('DisconnectFunction', 2);

    // REST: the gateway's own 401, a CORS preflight, two functions, and an unknown path's 403.
    const bobToken = app().mintToken(BOB);
    expect(await restCall('/presence')).toBe(401);
    expect(await restCall('/presence', { method: 'OPTIONS' })).toBe(200);
    expect(await restCall('/presence', { headers: { Authorization: bobToken } })).toBe(200);
    expect(await restCall(`/presence/${ALICE}`, { headers: { Authorization: bobToken } })).toBe(200);
    expect(await restCall('/no-such-path')).toBe(403);
    // The local page's helpers are no API requests.
    await localGet('/local/config');
    await localGet('/local/connections');

    // The stack's sweep reads Redis as `npm run sweep -- --local` does (the same state machine and function,
    // through the stack's REDIS_URL), plus the stack's own timeout report, which reads each shard's stale users
    // before the run: on a connection of its own, which the meter must not count (AWS has no such reader).
    const zranges = () => app().meter.snapshot().redis.byCommand.zrangebyscore ?? 0;
    const beforeCommand = zranges();
    const command = await runTsx('local/cli/sweep.ts', ['--local'], published.cliEnv());
    expect(command.code).toBe(0);
    const commandReads = zranges() - beforeCommand;
    expect(commandReads).toBeGreaterThanOrEqual(SHARDS);
    const beforeSweep = zranges();
    await app().sweep();
    expect(zranges() - beforeSweep).toBe(commandReads);

    const snapshot = (await localGet('/local/meter')) as MeterSnapshot;
    const { apiGateway, managementApi, stepFunctions, redis, postgres } = snapshot;

    // The script as sent and received.
    expect(sent.frames).toBe(5);
    expect(received.frames).toBe(5);
    expect(apiGateway).toMatchObject({
      messagesIn: sent.frames,
      // ping, alice's close frame, bob's close frame
      controlFramesIn: 3,
      messagesOut: received.frames,
      connects: 2,
      connectsRefused: 2,
      disconnects: 2,
      connectionsOpen: 0,
      restRequests: 5,
      bytesIn: sent.bytes,
      bytesOut: received.bytes + rest.bytesOut,
    });
    expect(apiGateway.connectionMinutes).toBeGreaterThan(0);
    expect(apiGateway.connectionMinutes).toBeLessThan((2 * snapshot.elapsedSeconds) / 60);
    // No route has a route response: every frame out was an @connections post.
    expect(managementApi).toEqual({ posts: received.frames, deletes: 0, gets: 0, gone: 0, refused: 0 });

    const invocations = Object.fromEntries(Object.entries(snapshot.lambda).map(([id, fn]) => [id, fn.invocations]));
    expect(invocations).toEqual({
      // Every handshake runs the authorizer, the refused ones too (WebSocket authorizers have no identity source).
      AuthorizerFunction: 4,
      ConnectFunction: 2,
      DefaultFunction: 1,
      DisconnectFunction: 2,
      GetPresenceFunction: 1,
      GetUserPresenceFunction: 1,
      HeartbeatFunction: 3,
      SubscribeFunction: 0,
      // One batch per shard: nobody is stale.
      SweepShardFunction: SHARDS,
      UpdatePresenceFunction: 1,
    });
    // No token: the authorizer throws "Unauthorized" (401), an error; a forged token gets a Deny policy (403), an answer.
    expect(lambdaOf(snapshot, 'AuthorizerFunction').errors).toBe(1);
    for (const [logicalId, fn] of Object.entries(snapshot.lambda)) {
      if (logicalId !== 'AuthorizerFunction') expect({ logicalId, errors: fn.errors }).toEqual({ logicalId, errors: 0 });
      if (fn.invocations === 0) {
        expect({ logicalId, billedMs: fn.billedMs }).toEqual({ logicalId, billedMs: 0 });
        continue;
      }
      expect(fn.billedMs).toBeGreaterThan(0);
      expect(fn.billedMs).toBeGreaterThanOrEqual(Math.floor(fn.durationMs));
      expect(fn.billedMs).toBeLessThanOrEqual(fn.durationMs + fn.invocations);
      expect(fn.gbSeconds).toBeCloseTo(((fn.billedMs / 1000) * fn.memoryMb) / 1024, 12);
      expect(fn.architecture).toBe('arm64');
      // Preloaded at start, so each container's init is billed with its first invocation after it.
      expect(fn.coldStarts).toBe(1);
      expect(fn.initMs).toBeGreaterThan(0);
    }
    expect(lambdaOf(snapshot, 'HeartbeatFunction').memoryMb).toBe(512);
    expect(lambdaOf(snapshot, 'SweepShardFunction').memoryMb).toBe(1769);

    // The sweep: Prepare, SweepShards, and per shard SweepBatch, Tally, MoreInShard, ShardDone.
    expect(stepFunctions).toMatchObject({ executions: 1, stateTransitions: 2 + 4 * SHARDS, type: 'EXPRESS' });
    expect(stepFunctions.billedDurationMs).toBe(Math.max(1, Math.ceil(stepFunctions.durationMs / 100)) * 100);

    expect(redis.commands).toBeGreaterThan(0);
    expect(redis.scriptCalls).toBeGreaterThanOrEqual(invocations.HeartbeatFunction! + invocations.UpdatePresenceFunction!);
    expect(Object.values(redis.byCommand).reduce((sum, count) => sum + count, 0)).toBe(redis.commands);
    expect(redis.bytesIn).toBeGreaterThan(0);
    expect(redis.bytesOut).toBeGreaterThan(0);
    expect(postgres.queries).toBeGreaterThan(0);
    expect(postgres.bytesIn).toBeGreaterThan(0);
    expect(snapshot.notes.join('\n')).toMatch(/32 KB/);
  });

  it('resets to zero over HTTP, only when asked with JSON', async () => {
    await app().settle();
    const url = `http://127.0.0.1:${app().ports.rest}/local/meter/reset`;
    // A cross-site form cannot reset it.
    const form = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(form.status).toBe(415);
    expect(app().meter.snapshot().apiGateway.messagesIn).toBeGreaterThan(0);

    const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(200);
    const zeroed = (await response.json()) as MeterSnapshot;
    const counts = [
      ...Object.values(zeroed.apiGateway),
      ...Object.values(zeroed.managementApi),
      ...Object.values(zeroed.lambda).flatMap((fn) => [
        fn.invocations,
        fn.errors,
        fn.durationMs,
        fn.billedMs,
        fn.cpuMs,
        fn.gbSeconds,
        fn.initMs,
        fn.coldStarts,
      ]),
      zeroed.stepFunctions.executions,
      zeroed.stepFunctions.durationMs,
      zeroed.stepFunctions.billedDurationMs,
      zeroed.stepFunctions.stateTransitions,
      zeroed.redis.commands,
      zeroed.redis.scriptCalls,
      zeroed.redis.bytesIn,
      zeroed.redis.bytesOut,
      ...Object.values(zeroed.postgres),
    ];
    expect(counts.filter((value) => value !== 0)).toEqual([]);
    expect(zeroed.redis.byCommand).toEqual({});
    expect(Object.keys(zeroed.lambda)).toHaveLength(10);
  });

  it('prints through npm run meter: one JSON object, a table, and a reset', async () => {
    await app().settle();
    const alice = await connectAs(ALICE);
    send(alice, { action: 'heartbeat' });
    await invocationsReach('HeartbeatFunction', 1);

    const json = await runTsx('local/cli/meter.ts', ['--json'], published.cliEnv());
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const snapshot = JSON.parse(json.stdout) as MeterSnapshot;
    expect(snapshot.apiGateway).toMatchObject({ connects: 1, messagesIn: 1, connectionsOpen: 1 });
    expect(lambdaOf(snapshot, 'HeartbeatFunction').invocations).toBe(1);

    const readable = await runTsx('local/cli/meter.ts', [], published.cliEnv());
    expect(readable.code).toBe(0);
    expect(readable.stdout).toMatch(/^API Gateway$/m);
    expect(readable.stdout).toMatch(/^ {2}WebSocket messages in +1 /m);
    expect(readable.stdout).toMatch(/^ {2}FUNCTION +INVOCATIONS +ERRORS +DURATION MS +BILLED MS/m);
    expect(readable.stdout).toMatch(/^ {2}HeartbeatFunction +1 +0 /m);
    expect(readable.stdout).toMatch(/^Step Functions \(EXPRESS\)$/m);

    const reset = await runTsx('local/cli/meter.ts', ['--reset'], published.cliEnv());
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(new RegExp(`^The meter of the local stack ${published.stack.name} was reset`));
    const after = app().meter.snapshot();
    expect(after.apiGateway).toMatchObject({ connects: 0, messagesIn: 0, connectionsOpen: 1 });
    expect(lambdaOf(after, 'HeartbeatFunction').invocations).toBe(0);

    await alice.close();
    await app().settle();
  });
});

describe('the counting proxy in front of Redis, under faults', () => {
  let redis: PrivateRedis;
  let faults: FaultProxy;
  let metered: Awaited<ReturnType<typeof meterRedis>>;
  let client: ReturnType<typeof createRedisClient>;
  const meter = new Meter({ functions: [], stepFunctionsType: 'EXPRESS' });
  const errors = watchProcessErrors();

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    faults = await FaultProxy.start(redis.port);
    // The functions' client -> the meter's proxy -> a fault proxy -> a private redis-server.
    metered = await meterRedis(`redis://127.0.0.1:${faults.port}`, meter);
    client = createRedisClient(loadConfig({ REDIS_URL: metered.url, DATABASE_URL: 'postgres://127.0.0.1:1/unused' }).redis);
    await client.set('meter-fault', 'before');
  });

  afterAll(async () => {
    client?.disconnect();
    await metered?.close();
    await faults?.close();
    await redis?.stop();
    errors.stop();
  });

  it('passes a TCP reset on, and the client recovers through it', async () => {
    let closes = 0;
    client.on('close', () => (closes += 1));
    faults.reset();
    const during = await elapsedMs(() => client.get('meter-fault').then(String, (error: Error) => error.name));
    expect(during.ms).toBeLessThan(3000);
    expect(await untilOk(async () => (await client.get('meter-fault')) === 'before', 5000)).toBeLessThan(5000);
    // The client saw its connection end (the reset reached it), not a stall until its command timed out.
    expect(closes).toBeGreaterThanOrEqual(1);
    expect(errors.seen()).toEqual([]);
  });

  it('answers within the command timeout while Redis is down, and recovers once it is back (empty)', async () => {
    await redis.kill();
    const down = await elapsedMs(() => client.get('meter-fault').then(String, (error: Error) => `failed: ${error.message}`));
    expect(down.result).toMatch(/^failed: /);
    expect(down.ms).toBeLessThan(3000);
    await redis.restart();
    expect(await untilOk(async () => (await client.get('meter-fault')) === null, 5000)).toBeLessThan(5000);
    expect(errors.seen()).toEqual([]);
    // Every command that reached the proxy was counted, the failed attempts included.
    expect(meter.snapshot().redis.byCommand.get).toBeGreaterThanOrEqual(3);
  });
});
