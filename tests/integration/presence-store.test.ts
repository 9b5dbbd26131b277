import Redis, { Cluster } from 'ioredis';
import type { Pool } from 'pg';
import { PostgresFriendDirectory } from '../../layers/core/db/friend-directory';
import { KeySpace } from '../../layers/core/keys';
import { PresenceService } from '../../layers/core/presence-service';
import { ApiGatewayConnectionGateway } from '../../layers/core/push/connection-gateway';
import type { RedisClient } from '../../layers/core/redis/client';
import { PresenceStore } from '../../layers/core/redis/presence-store';
import { startRedisEmulator, type RedisEmulator } from '../../local/backends/redis-emulator';
import { TimeoutSweeper } from '../../layers/core/timeout-sweeper';
import { localCredentialEnvironment } from '../../local/aws-credentials';
import { startManagementApi, type ManagementApiServer } from '../../local/management-api';
import { befriendAll, createPool, resetTables, seedUsers, useSuiteDatabase } from '../support/db';
import { redisUrl, testRedisPrefix } from '../support/env';
import { RecordingConnections } from '../support/recording-connections';
import { describeWithRedisServer, startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';

const MINUTE = 60_000;
const timings = { connectionMaxAgeMs: 120 * MINUTE, lastSeenRetentionMs: 30 * 24 * 60 * MINUTE, pageTtlMs: 125 * MINUTE };
const page = (url: string) => ({ url, title: url, domain: 'example.com' });

/**
 * The presence core against a real server: the same suite on one Redis node
 * and on a three-master Redis Cluster, where any cross-slot access fails; and
 * on the in-process emulation `npm start` falls back to, which must behave the same.
 */
function presenceCoreSuite(topology: string, connect: () => Promise<RedisClient>) {
  let redis: RedisClient;
  let store: PresenceStore;
  let keys: KeySpace;
  let pool: Pool;
  let sink: ManagementApiServer;
  const sockets = new RecordingConnections();
  let service: PresenceService;
  let sweeper: TimeoutSweeper;
  let sinkGateway: ApiGatewayConnectionGateway;
  let clock = Date.now();
  const now = () => clock;

  beforeAll(async () => {
    redis = await connect();
    keys = new KeySpace(testRedisPrefix(`store-${topology}`), 8);
    store = new PresenceStore(redis, keys, timings);
    await useSuiteDatabase(`store-${topology}`);
    pool = createPool();
    sink = await startManagementApi(sockets);
    // Every push is signed with the local stack's credentials, which the management API verifies.
    Object.assign(process.env, localCredentialEnvironment());
    const gateway = ApiGatewayConnectionGateway.create(sink.endpoint, 'us-east-1');
    sinkGateway = gateway;
    const directory = new PostgresFriendDirectory(pool, 0);
    service = new PresenceService({ store, directory, gateway, settings: { pushConcurrency: 8 }, clock: now });
    sweeper = new TimeoutSweeper({
      store,
      directory,
      gateway,
      settings: { timeoutMs: 2 * MINUTE, sweepBatchSize: 2, pushConcurrency: 8, statusShards: 8 },
      clock: now,
    });
  });

  afterAll(async () => {
    await redis.quit();
    await pool.end();
    await sink.close();
  });

  beforeEach(() => {
    clock = Date.now();
    sockets.clearAll();
  });

  let n = 0;
  const user = (name: string) => `${name}-${topology}-${++n}`;

  it('connect marks online once; heartbeat needs a registered connection', async () => {
    const u = user('u');
    expect(await store.connect(u, 'c1', clock, clock)).toBe(true);
    expect(await store.connect(u, 'c2', clock, clock)).toBe(false);
    expect(await store.heartbeat(u, 'c1', clock + 1000)).toBe(true);
    expect(await store.heartbeat(u, 'nope', clock + 1000)).toBe(false);
    const presence = (await store.snapshot([u])).get(u)!;
    expect(presence).toMatchObject({
      online: true,
      lastActiveAt: clock + 1000,
      page: { url: '', title: '', domain: '' },
      latestPage: null,
    });
  });

  it('never moves last activity backwards (late heartbeat from a slow Lambda)', async () => {
    const u = user('u');
    await store.connect(u, 'c1', clock, clock);
    await store.heartbeat(u, 'c1', clock + 5000);
    await store.heartbeat(u, 'c1', clock + 1000);
    expect((await store.snapshot([u])).get(u)!.lastActiveAt).toBe(clock + 5000);
  });

  it('update stores the page, keeps the latest shared page, and returns own connections', async () => {
    const u = user('u');
    await store.connect(u, 'c1', clock, clock);
    await store.connect(u, 'c2', clock, clock);
    const first = await store.updatePage(u, 'c1', clock, page('https://example.com/1'));
    expect(first!.ownConnections.sort()).toEqual(['c1', 'c2']);
    const hidden = await store.updatePage(u, 'c2', clock, { url: '', title: '', domain: '' });
    expect(hidden!.latest).toEqual(page('https://example.com/1'));
    expect(await store.updatePage(u, 'unknown', clock, page('https://x'))).toBeNull();
  });

  it('goes offline only with the last connection; a late disconnect never removes a newer one', async () => {
    const u = user('u');
    await store.connect(u, 'old', clock, clock);
    await store.connect(u, 'new', clock, clock);
    expect(await store.disconnect(u, 'old', clock)).toBe(false);
    expect(await store.disconnect(u, 'old', clock)).toBe(false);
    expect((await store.snapshot([u])).get(u)!.online).toBe(true);
    expect(await store.disconnect(u, 'new', clock + 10)).toBe(true);
    expect(await store.disconnect(u, 'new', clock + 20)).toBe(false);
    expect((await store.snapshot([u])).get(u)).toMatchObject({ online: false, page: null, lastSeenAt: clock + 10 });
  });

  it('bounds connection records in time: an expired connection neither counts nor leaks', async () => {
    const u = user('u');
    const longAgo = clock - timings.connectionMaxAgeMs - 1000;
    expect(await store.connect(u, 'ancient', longAgo, clock)).toBe(false); // already past API Gateway's 2 hours
    await store.connect(u, 'lost', clock - timings.connectionMaxAgeMs + 1000, clock);
    expect(await redis.pttl(keys.connections(u))).toBeLessThanOrEqual(1000);
    expect((await store.connectionsOf([u], clock + 2000)).has(u)).toBe(false);
    expect(await store.heartbeat(u, 'lost', clock + 2000)).toBe(false);
  });

  it('removes exactly the gone connections (compare-and-delete)', async () => {
    const u = user('u');
    await store.connect(u, 'dead', clock, clock);
    await store.connect(u, 'live', clock, clock);
    await store.removeConnections([
      { userId: u, connectionId: 'dead' },
      { userId: u, connectionId: 'never-existed' },
    ]);
    expect((await store.connectionsOf([u], clock)).get(u)).toEqual(['live']);
  });

  it('reads many users across all shards in one call per slot', async () => {
    const users = Array.from({ length: 40 }, () => user('many'));
    for (const u of users.slice(0, 20)) await store.connect(u, `${u}-c`, clock, clock);
    const connections = await store.connectionsOf(users, clock);
    expect([...connections.keys()].sort()).toEqual(users.slice(0, 20).sort());
    const snapshot = await store.snapshot(users);
    expect(users.filter((u) => snapshot.get(u)!.online)).toEqual(users.slice(0, 20));
  });

  it('keeps working after the server lost its script cache (restart, failover)', async () => {
    const u = user('u');
    await store.connect(u, 'c1', clock, clock);
    const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
    await Promise.all(nodes.map((node) => node.script('FLUSH')));
    const [connections, snapshot, heartbeat] = await Promise.all([
      store.connectionsOf([u, user('offline')], clock),
      store.snapshot([u]),
      store.heartbeat(u, 'c1', clock + 1),
    ]);
    expect(connections.get(u)).toEqual(['c1']);
    expect(snapshot.get(u)!.online).toBe(true);
    expect(heartbeat).toBe(true);
  });

  it('claims only users still stale at claim time', async () => {
    const [stale, refreshed] = [user('stale'), user('refreshed')];
    await store.connect(stale, 's1', clock, clock);
    await store.connect(refreshed, 'r1', clock, clock);
    const later = clock + 3 * MINUTE;
    const cutoff = later - 2 * MINUTE;
    const shards = new Set([keys.shardOf(stale), keys.shardOf(refreshed)]);
    const candidates = new Map<number, string[]>();
    // Other tests' users share these shards; claim only this test's two.
    for (const shard of shards) {
      const found = await store.staleCandidates(shard, cutoff, 1000);
      candidates.set(
        shard,
        found.filter((id) => id === stale || id === refreshed),
      );
    }
    expect([...candidates.values()].flat().sort()).toEqual([refreshed, stale].sort());
    await store.heartbeat(refreshed, 'r1', later); // lands between scan and claim
    const pending = new Map<string, string[]>();
    for (const [shard, ids] of candidates)
      for (const [id, conns] of await store.claimStale(shard, ids, cutoff, later)) pending.set(id, conns);
    expect(pending.get(stale)).toEqual(['s1']);
    expect(pending.has(refreshed)).toBe(false);
    expect((await store.snapshot([stale])).get(stale)).toMatchObject({ online: false, lastSeenAt: clock });
    for (const shard of shards) await store.clearPending(shard, [stale]);
  });

  describe('service and sweeper on this topology', () => {
    beforeAll(async () => {
      await resetTables(pool);
    });

    it('lists a friend accepted after the friend cache was filled, with live presence', async () => {
      const [me, old, fresh] = [user('me'), user('old'), user('fresh')];
      await seedUsers(pool, [me, old, fresh]);
      await befriendAll(pool, [[me, old]]);
      const cachedDirectory = new PostgresFriendDirectory(pool, 60_000);
      const cachedService = new PresenceService({
        store,
        directory: cachedDirectory,
        gateway: sinkGateway,
        settings: { pushConcurrency: 8 },
        clock: now,
      });
      expect((await cachedService.snapshot(me)).presenceArr.map((entry) => entry.userId)).toEqual([old]);
      await befriendAll(pool, [[fresh, me]]);
      await store.connect(fresh, 'fresh-conn', clock, clock);
      const snapshot = await cachedService.snapshot(me);
      expect(snapshot.presenceArr.map((entry) => entry.userId).sort()).toEqual([fresh, old].sort());
      expect(snapshot.presenceArr.find((entry) => entry.userId === fresh)!.page).toEqual({ url: '', title: '', domain: '' });
      expect(snapshot.presenceArr.find((entry) => entry.userId === old)!.page).toBeNull();
    });

    it('fans out, disconnects and times out users with no cross-slot error', async () => {
      const [a, b, c] = [user('a'), user('b'), user('c')];
      const stale = Array.from({ length: 5 }, () => user('stale'));
      await seedUsers(pool, [a, b, c, ...stale]);
      await befriendAll(pool, [[a, b], [c, a], ...stale.map((s) => [s, b] as [string, string])]);
      for (const [u, conn] of [
        [a, 'ca'],
        [b, 'cb'],
        [c, 'cc'],
      ] as const) {
        sockets.open(`${conn}-${topology}`);
        await service.connect(u, `${conn}-${topology}`, clock);
      }
      await service.updatePresence(a, `ca-${topology}`, 'https://www.bbc.co.uk/news', 'News');
      expect(sockets.frames(`cb-${topology}`)).toEqual([
        expect.objectContaining({ type: 'update-presence', userId: a, domain: 'bbc.co.uk' }),
      ]);
      expect(sockets.frames(`cc-${topology}`)).toHaveLength(1);

      for (const s of stale) {
        sockets.open(`ghost-${s}`);
        await service.connect(s, `ghost-${s}`, clock - 10 * MINUTE);
      }
      // Make them stale: their last activity is ten minutes ago.
      for (const s of stale) await redis.zadd(keys.status(keys.shardOf(s)), 'XX', clock - 10 * MINUTE, s);
      sockets.take(`cb-${topology}`);
      let timedOut = 0;
      for (let shard = 0; shard < 8; shard++) {
        for (;;) {
          const result = await sweeper.sweepBatch(shard);
          timedOut += result.timedOut;
          if (!result.more) break;
        }
      }
      expect(timedOut).toBe(stale.length);
      const received = sockets.take(`cb-${topology}`) as { type: string; userId: string }[];
      expect(received.map((m) => m.userId).sort()).toEqual([...stale].sort());
      expect(received.every((m) => m.type === 'presence-timeout')).toBe(true);
      for (const s of stale) expect(sockets.isOpen(`ghost-${s}`)).toBe(false);

      await service.disconnect(a, `ca-${topology}`);
      expect(sockets.take(`cb-${topology}`)).toEqual([{ type: 'presence-timeout', userId: a }]);
    });
  });
}

describe('presence core on a single Redis node', () => {
  presenceCoreSuite('single', async () => new Redis(redisUrl()));
});

describeWithRedisServer()('presence core on a three-master Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  presenceCoreSuite('cluster', async () => {
    const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 2 } });
    await client.ping();
    return client;
  });
});

describe('presence core on the in-process Redis emulation', () => {
  let emulator: RedisEmulator;
  beforeAll(async () => {
    emulator = await startRedisEmulator();
  });
  presenceCoreSuite('emulator', async () => new Redis(emulator.url));
  // Declared after the suite so its clients have quit before the server goes.
  afterAll(async () => {
    await emulator?.close();
  });
});
