/**
 * Redis faults, for real: the handlers use a private redis-server through a TCP fault proxy, so the
 * suite can blackhole, refuse and reset the network, SIGKILL the server, and start it again empty (a
 * crash with no persistence, or a failover to an empty replica). The process must survive, answer an
 * error frame or 503 within 3 s, work again within 5 s of Redis coming back, and after a data loss tell
 * clients to reconnect. A cluster client that reaches no node at all answers within its deadline too.
 */
import Redis from 'ioredis';
import type { Pool } from 'pg';
import { ServiceUnavailableError } from '../../layers/core/errors';
import { KeySpace } from '../../layers/core/keys';
import { createRedisClient, type RedisClient } from '../../layers/core/redis/client';
import { RedisPresenceStore, UNLIMITED } from '../../layers/core/redis/presence-store';
import { befriend, createPool, resetTables, seedUsers } from '../support/db';
import { FaultProxy } from '../support/fault-proxy';
import { elapsedMs, untilOk, watchProcessErrors } from '../support/faults';
import { HandlerHarness } from '../support/handler-harness';
import { PrivateRedis } from '../support/redis-server';
import { describeWithRedisServer, startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';

const SHARDS = 4;
const UNAVAILABLE = { type: 'error', message: 'temporarily unavailable, retry' };

describeWithRedisServer()('Redis faults (private redis-server behind a fault proxy)', () => {
  let server: PrivateRedis;
  let proxy: FaultProxy;
  const harness = new HandlerHarness('faults-redis', () => ({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, STATUS_SHARDS: String(SHARDS) }));
  const keys = new KeySpace(harness.keyPrefix, SHARDS);
  const processErrors = watchProcessErrors();
  let pool: Pool;
  let direct: Redis;

  beforeAll(async () => {
    server = await PrivateRedis.start();
    proxy = await FaultProxy.start(server.port);
    await harness.start();
    pool = createPool({ connectionString: harness.databaseUrl });
    direct = new Redis(server.url, { maxRetriesPerRequest: 50, retryStrategy: () => 50 });
    direct.on('error', () => undefined);
  });

  afterAll(async () => {
    await harness.close();
    await pool.end();
    direct.disconnect();
    await proxy.close();
    await server.stop();
    processErrors.stop();
  });

  beforeEach(async () => {
    await proxy.restore();
    await direct.flushall();
    await resetTables(pool);
    await seedUsers(pool, ['alice', 'bob', 'carol']);
    await befriend(pool, 'alice', 'bob');
    await befriend(pool, 'carol', 'alice');
    harness.connections.clearAll();
  });

  afterEach(() => {
    expect(processErrors.seen()).toEqual([]);
  });

  let counter = 0;
  const id = (name: string) => `${name}-${++counter}=`;
  const errorFrames = (connectionId: string) => (harness.connections.frames(connectionId) as { type: string }[]).filter((frame) => frame.type === 'error');
  const heartbeatOk = (userId: string, connectionId: string) => async () => {
    harness.connections.take(connectionId);
    return (await harness.heartbeat(userId, connectionId)).statusCode === 200 && errorFrames(connectionId).length === 0;
  };

  async function outageAnswers(alice: string): Promise<void> {
    const heartbeat = await elapsedMs(() => harness.heartbeat('alice', alice));
    expect(heartbeat.result.statusCode).toBe(503);
    expect(heartbeat.ms).toBeLessThan(3000);
    expect(harness.connections.take(alice)).toEqual([UNAVAILABLE]);
    expect(harness.connections.isOpen(alice)).toBe(true);

    const rest = await elapsedMs(() => harness.getPresence('bob'));
    expect(rest.result.statusCode).toBe(503);
    expect(rest.result.headers?.['Retry-After']).toBe('2');
    expect(rest.ms).toBeLessThan(3000);
  }

  it('answers within 3 s while Redis does not answer (blackhole), and works again within 5 s', async () => {
    const alice = id('alice');
    await harness.connect('alice', alice);
    proxy.blackhole();
    await outageAnswers(alice);
    const update = await elapsedMs(() => harness.update('alice', alice, { url: 'https://example.com/', title: 'x' }));
    expect(update.ms).toBeLessThan(3000);
    expect(harness.connections.take(alice)).toEqual([UNAVAILABLE]);
    await proxy.restore();
    expect(await untilOk(heartbeatOk('alice', alice), 5000)).toBeLessThan(5000);
  });

  it('answers at once while Redis refuses connections, and works again within 5 s', async () => {
    const alice = id('alice');
    await harness.connect('alice', alice);
    await proxy.refuse();
    await outageAnswers(alice);
    await proxy.restore();
    expect(await untilOk(heartbeatOk('alice', alice), 5000)).toBeLessThan(5000);
  });

  it('survives its connection being reset, and the next message is answered', async () => {
    const alice = id('alice');
    await harness.connect('alice', alice);
    proxy.reset();
    expect(await untilOk(heartbeatOk('alice', alice), 5000)).toBeLessThan(5000);
  });

  it('after a crash that lost every key, tells clients to reconnect, and shows the truth to those who refresh', async () => {
    const [alice, bob] = [id('alice'), id('bob')];
    await harness.connect('alice', alice);
    await harness.connect('bob', bob);
    await harness.update('bob', bob, { url: 'https://example.com/bob', title: 'Bob' });
    harness.connections.take(alice);

    await server.kill();
    await outageAnswers(alice);

    await server.restart(); // empty
    // The connection is unknown now: the client is told so (410) and the socket closed, so it reconnects.
    await untilOk(async () => (await harness.heartbeat('alice', alice)).statusCode === 410, 5000);
    expect(harness.connections.closed).toContain(alice);

    const again = id('alice');
    expect((await harness.connect('alice', again)).statusCode).toBe(200);
    const snapshot = JSON.parse((await harness.getPresence('alice')).body) as { presenceArr: { userId: string; page: unknown }[] };
    expect(snapshot.presenceArr.find((entry) => entry.userId === 'bob')?.page).toBeNull(); // bob must reconnect too
  });

  it('announces offline a user whose keys were lost (one shard of a cluster failed) when their $disconnect comes', async () => {
    const [alice, bob] = [id('alice'), id('bob')];
    expect(keys.shardOf('alice')).not.toBe(keys.shardOf('bob'));
    await harness.connect('alice', alice);
    await harness.connect('bob', bob);
    const lost = await direct.keys(`${harness.keyPrefix}{${keys.shardOf('bob')}}:*`);
    expect(lost.length).toBeGreaterThan(0);
    await direct.del(...lost);
    harness.connections.take(alice);

    await harness.disconnect('bob', bob);
    expect(harness.connections.frames(alice)).toEqual([{ type: 'presence-timeout', userId: 'bob', at: expect.any(Number) }]);
  });
});

describeWithRedisServer()('Redis Cluster with no reachable node', () => {
  const COMMAND_TIMEOUT_MS = 200;
  let cluster: RedisClusterHandle;
  let client: RedisClient;
  const processErrors = watchProcessErrors();

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  }, 30_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
    processErrors.stop();
  });

  it('answers every call with a 503 error within its deadline instead of queueing it until the function times out', async () => {
    const [seed] = cluster.nodes;
    client = createRedisClient({
      ...{ host: seed!.host, port: seed!.port, tls: false, cluster: true, keyPrefix: '' },
      ...{ connectTimeoutMs: COMMAND_TIMEOUT_MS, commandTimeoutMs: COMMAND_TIMEOUT_MS },
    });
    const keys = new KeySpace('cluster-outage:', SHARDS);
    // As the runtime configures a cluster: commands the client queues while it reaches no node wait at most this long.
    const store = new RedisPresenceStore(client, keys, {
      ...{ connectionMaxAgeMs: 60_000, maxAllowanceMs: 60_000, lastSeenRetentionMs: 60_000, pageTtlMs: 60_000, limits: UNLIMITED, pushLeaseMs: 15_000 },
      commandDeadlineMs: 2 * COMMAND_TIMEOUT_MS,
    });
    const now = Date.now();
    const c1 = { connectionId: 'c1', connectedAt: now, allowanceMs: 30_000 };
    await store.connect('alice', c1, now);
    expect(await store.heartbeat('alice', c1, now + 1)).toBe('ok');

    await cluster.stop();
    const calls = [
      () => store.heartbeat('alice', c1, now + 2),
      () => store.snapshot(['alice', 'bob', 'carol']),
      () => store.connectionsOf(['alice', 'bob'], now + 2, 'pages'),
      () => store.staleCandidates(0, now, 10),
    ];
    // The first call finds its node gone; the cluster then reconnects, queueing what comes meanwhile.
    const statusAtCall: string[] = [];
    for (const call of [...calls, ...calls]) {
      statusAtCall.push(client.status);
      const answer = await elapsedMs(() => call().catch((error: unknown) => error));
      expect(answer.result).toBeInstanceOf(ServiceUnavailableError);
      expect(answer.ms).toBeLessThan(10 * 2 * COMMAND_TIMEOUT_MS);
    }
    expect(statusAtCall.filter((status) => status !== 'ready').length).toBeGreaterThan(0);
    expect(processErrors.seen()).toEqual([]);
  });
});
