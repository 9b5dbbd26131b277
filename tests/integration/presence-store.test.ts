import { createHash } from 'node:crypto';
import Redis, { Cluster } from 'ioredis';
import type { Pool } from 'pg';
import { PostgresFriendDirectory } from '../../layers/core/db/friend-directory';
import { KeySpace } from '../../layers/core/keys';
import type { ConnectionActivity } from '../../layers/core/model';
import { PresenceService } from '../../layers/core/presence-service';
import { ApiGatewayConnectionGateway } from '../../layers/core/push/connection-gateway';
import type { RedisClient } from '../../layers/core/redis/client';
import { HANDSHAKE_GRACE_MS } from '../../layers/core/ports/presence-store';
import { RedisPresenceStore, UNLIMITED } from '../../layers/core/redis/presence-store';
import * as scriptSources from '../../layers/core/redis/scripts';
import { startRedisEmulator, type RedisEmulator } from '../../local/backends/redis-emulator';
import { TimeoutSweeper } from '../../layers/core/timeout-sweeper';
import { localCredentialEnvironment } from '../../local/aws-credentials';
import { startManagementApi, type ManagementApiServer } from '../../local/management-api';
import { befriendAll, createPool, resetTables, seedUsers, useSuiteDatabase } from '../support/db';
import { redisUrl, testRedisPrefix } from '../support/env';
import { RecordingConnections } from '../support/recording-connections';
import { describeWithRedisServer, startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';

const MINUTE = 60_000;
const timings = {
  connectionMaxAgeMs: 120 * MINUTE,
  maxAllowanceMs: 1_110_000,
  lastSeenRetentionMs: 30 * 24 * 60 * MINUTE,
  pageTtlMs: 125 * MINUTE,
  limits: UNLIMITED,
  pushLeaseMs: 15_000,
};
const noCache = { freshMs: 0, staleMaxMs: 0, retryMs: 1000 };
/** The allowance of a connection that did not negotiate its heartbeat (PRESENCE_TIMEOUT_SECONDS). */
const DEFAULT_ALLOWANCE = 150_000;
const page = (url: string) => ({ url, title: url, domain: 'example.com' });

/**
 * The presence core against a real server: the same suite on one Redis node
 * and on a three-master Redis Cluster, where any cross-slot access fails; and
 * on the in-process emulation `npm start` falls back to, which must behave the same.
 */
function presenceCoreSuite(topology: string, connect: () => Promise<RedisClient>) {
  let redis: RedisClient;
  let store: RedisPresenceStore;
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
    store = new RedisPresenceStore(redis, keys, timings);
    await useSuiteDatabase(`store-${topology}`);
    pool = createPool();
    sink = await startManagementApi(sockets);
    // Every push is signed with the local stack's credentials, which the management API verifies.
    Object.assign(process.env, localCredentialEnvironment());
    const gateway = ApiGatewayConnectionGateway.create(sink.endpoint, 'us-east-1');
    sinkGateway = gateway;
    const directory = new PostgresFriendDirectory(pool, noCache);
    service = new PresenceService({ store, directory, gateway, settings: { pushConcurrency: 8, offlineGraceMs: 0 }, clock: now });
    sweeper = new TimeoutSweeper({
      store,
      directory,
      gateway,
      settings: { timeoutMs: 2 * MINUTE, sweepBatchSize: 2, pushConcurrency: 8, statusShards: 8, sweepTimeBudgetMs: 45_000 },
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
  /** A connection as its route knows it: opened `connectedAt` (now by default), without a negotiated heartbeat. */
  const conn = (connectionId: string, connectedAt = clock): ConnectionActivity => ({ connectionId, connectedAt, allowanceMs: DEFAULT_ALLOWANCE });
  /** Connects as the $connect handler does: a user who came online is announced (lease taken, then released). */
  const connected = async (on: RedisPresenceStore, u: string, connectionId: string) => {
    const { fanOut } = await on.connect(u, conn(connectionId, clock), clock);
    if (fanOut) await on.releasePush(u, clock, true);
  };

  it('connect marks online once (and takes the push lease to tell friends); heartbeat needs a registered connection', async () => {
    const u = user('u');
    expect(await store.connect(u, conn('c1', clock), clock)).toEqual({
      cameOnline: true,
      fanOut: { page: { url: '', title: '', domain: '' }, latest: { url: '', title: '', domain: '' }, at: clock, ownConnections: [] },
    });
    expect(await store.releasePush(u, clock, true)).toBeNull();
    expect(await store.connect(u, conn('c2', clock), clock)).toEqual({ cameOnline: false, fanOut: null });
    expect(await store.heartbeat(u, conn('c1'), clock + 1000)).toBe('ok');
    expect(await store.heartbeat(u, conn('nope'), clock + 1000)).toBe('stale');
    const presence = (await store.snapshot([u])).get(u)!;
    expect(presence).toMatchObject({
      online: true,
      lastActiveAt: clock + 1000,
      page: { url: '', title: '', domain: '' },
      latestPage: null,
    });
  });

  describe('after Redis forgets its scripts (restart, failover, SCRIPT FLUSH)', () => {
    const masters = () => (redis instanceof Cluster ? redis.nodes('master') : [redis]);
    const flushScripts = () => Promise.all(masters().map((node) => node.script('FLUSH')));
    const SHAS = Object.values<unknown>(scriptSources)
      .filter((lua): lua is string => typeof lua === 'string')
      .map((lua) => createHash('sha1').update(lua).digest('hex'));
    /** Which of the store's scripts some node has cached. */
    const cached = async () => {
      const perNode = await Promise.all(masters().map((node) => node.script('EXISTS', ...SHAS) as Promise<number[]>));
      return SHAS.map((_, i) => perNode.some((exists) => exists[i] === 1));
    };

    /** Every operation of the store, so every script runs once (a snapshot of two shards is a pipeline on a single node). */
    async function everyOperation(): Promise<void> {
      const [u, stale] = [user('all'), user('all-stale')];
      const other = [user('all-other')];
      while (keys.shardOf(other[0]!) === keys.shardOf(u)) other[0] = user('all-other');
      const shard = keys.shardOf(u);
      expect((await store.connect(u, conn('c1', clock), clock)).cameOnline).toBe(true);
      expect(await store.releasePush(u, clock, true)).toBeNull();
      expect(await store.heartbeat(u, conn('c1'), clock + 1)).toBe('ok');
      expect(await store.countMessage(u, 'c1')).toBe('ok');
      const c1 = conn('c1');
      expect(await store.subscribe(u, c1, clock + 2, 'pages')).toEqual({ stored: true, verdict: 'ok', previous: 'default' });
      const first = await store.updatePage(u, c1, clock + 2, page('https://example.com/1'));
      expect(first.stored && first.fanOut?.page.url).toBe('https://example.com/1');
      const deferred = await store.updatePage(u, conn('c1'), clock + 3, page('https://example.com/2'));
      expect(deferred).toEqual({ stored: true, verdict: 'ok', fanOut: null });
      const claimed = await store.claimDeferred(shard, clock + timings.pushLeaseMs + 4, 1000);
      expect(claimed.filter((entry) => entry.userId === u).map((entry) => entry.page.url)).toEqual(['https://example.com/2']);
      expect(await store.releasePush(u, clock + timings.pushLeaseMs + 5, true)).toBeNull();
      expect((await store.connectionsOf([u, other[0]!], clock + 6, 'pages')).get(u)).toEqual(['c1']);
      const presence = await store.snapshot([u, other[0]!]);
      expect([presence.get(u)?.online, presence.get(other[0]!)?.online]).toEqual([true, false]);
      await store.removeConnections([{ userId: u, connectionId: 'never-existed' }], clock + 7);
      expect(await store.disconnect(u, 'c1', clock + 8, 0)).toBe('went-offline');
      await store.friendsTold(u);
      expect((await store.pending(shard)).has(u)).toBe(false);
      await store.connect(stale, conn('s1', clock), clock);
      const timedOut = await store.claimStale(keys.shardOf(stale), [stale], clock + DEFAULT_ALLOWANCE + 10);
      expect(timedOut.get(stale)).toEqual(['s1']);
      await store.clearPending(keys.shardOf(stale), new Map([[stale, ['s1']]]));
    }

    it('answers every call, single and pipelined, by resending it as EVAL', async () => {
      await everyOperation(); // each script has been sent on this connection: ioredis now sends EVALSHA
      expect(await cached()).toEqual(SHAS.map(() => true));
      await flushScripts();
      expect(await cached()).toEqual(SHAS.map(() => false));
      await everyOperation();
      expect(await cached()).toEqual(SHAS.map(() => true));

      // A pipeline of script calls on one slot (a cluster pipelines only within one slot's node).
      const u = user('pipelined');
      await store.connect(u, conn('c1', clock), clock);
      const shard = keys.shardOf(u);
      const snapshotArgs = [3, keys.status(shard), keys.lastSeen(shard), keys.page(u, shard), u] as const;
      await flushScripts();
      const replies = await redis
        .pipeline()
        .presenceSnapshot(...snapshotArgs)
        .presenceLiveConnections(2, keys.connections(u, shard), keys.connectionInfo(u, shard), clock, 2, u)
        .presenceSnapshot(...snapshotArgs)
        .exec();
      expect(replies?.map(([error]) => error)).toEqual([null, null, null]);
      expect(replies?.[1]?.[1]).toEqual([u, 'c1']);
      expect((replies?.[2]?.[1] as string[])[0]).toBe(String(clock));
    });

    it('answers calls in flight together', async () => {
      const u = user('u');
      await store.connect(u, conn('c1', clock), clock);
      await flushScripts();
      const [connections, snapshot, heartbeat] = await Promise.all([
        store.connectionsOf([u, user('offline')], clock, 'pages'),
        store.snapshot([u]),
        store.heartbeat(u, conn('c1'), clock + 1),
      ]);
      expect(connections.get(u)).toEqual(['c1']);
      expect(snapshot.get(u)!.online).toBe(true);
      expect(heartbeat).toBe('ok');
    });
  });

  it('never moves last activity backwards (late heartbeat from a slow Lambda)', async () => {
    const u = user('u');
    await store.connect(u, conn('c1', clock), clock);
    await store.heartbeat(u, conn('c1'), clock + 5000);
    await store.heartbeat(u, conn('c1'), clock + 1000);
    expect((await store.snapshot([u])).get(u)!.lastActiveAt).toBe(clock + 5000);
  });

  it('update stores the page, keeps the latest shared page, and returns own connections', async () => {
    const u = user('u');
    await connected(store, u, 'c1');
    await store.connect(u, conn('c2', clock), clock);
    const first = await store.updatePage(u, conn('c1'), clock, page('https://example.com/1'));
    expect(first.stored && first.fanOut!.ownConnections.sort()).toEqual(['c1', 'c2']);
    expect(await store.releasePush(u, clock, true)).toBeNull();
    const hidden = await store.updatePage(u, conn('c2'), clock, { url: '', title: '', domain: '' });
    expect(hidden.stored && hidden.fanOut!.latest).toEqual(page('https://example.com/1'));
    expect(await store.updatePage(u, conn('unknown'), clock, page('https://x'))).toEqual({ stored: false, verdict: 'stale' });
  });

  it('goes offline only with the last connection; a late disconnect never removes a newer one', async () => {
    const u = user('u');
    await store.connect(u, conn('old', clock), clock);
    await store.connect(u, conn('new', clock), clock);
    expect(await store.disconnect(u, 'old', clock, 0)).toBe('unchanged');
    expect(await store.disconnect(u, 'old', clock, 0)).toBe('unchanged');
    expect((await store.snapshot([u])).get(u)!.online).toBe(true);
    expect(await store.disconnect(u, 'new', clock + 10, 0)).toBe('went-offline');
    expect(await store.disconnect(u, 'new', clock + 20, 0)).toBe('unchanged');
    expect((await store.snapshot([u])).get(u)).toMatchObject({ online: false, page: null, lastSeenAt: clock + 10 });
    // Pending until its friends were told, so a $disconnect that fails there is finished by the sweep.
    expect((await store.pending(keys.shardOf(u))).get(u)).toEqual([]);
    await store.friendsTold(u);
    expect((await store.pending(keys.shardOf(u))).has(u)).toBe(false);
  });

  it('bounds connection records in time: an expired connection neither counts nor leaks', async () => {
    const u = user('u');
    const longAgo = clock - timings.connectionMaxAgeMs - 1000;
    expect(await store.connect(u, conn('ancient', longAgo), clock)).toEqual({ cameOnline: false, fanOut: null }); // already past API Gateway's 2 hours
    const lost = conn('lost', clock - timings.connectionMaxAgeMs + 1000);
    await store.connect(u, lost, clock);
    expect(await redis.pttl(keys.connections(u))).toBeLessThanOrEqual(1000);
    expect(await redis.pttl(keys.connectionInfo(u))).toBeLessThanOrEqual(1000);
    expect((await store.connectionsOf([u], clock + 2000, 'pages')).has(u)).toBe(false);
    expect(await store.heartbeat(u, lost, clock + 2000)).toBe('stale');
  });

  it('removes exactly the gone connections (compare-and-delete), never one still in its handshake', async () => {
    const u = user('u');
    const settled = clock - HANDSHAKE_GRACE_MS - 1000;
    await store.connect(u, conn('dead', settled), clock);
    await store.connect(u, conn('live', settled), clock);
    await store.connect(u, conn('connecting', clock), clock);
    await store.removeConnections(
      [
        { userId: u, connectionId: 'dead' },
        { userId: u, connectionId: 'never-existed' },
        { userId: u, connectionId: 'connecting' },
      ],
      clock,
    );
    expect((await store.connectionsOf([u], clock, 'pages')).get(u)?.sort()).toEqual(['connecting', 'live']);
  });

  it('reads many users across all shards in one call per slot', async () => {
    const users = Array.from({ length: 40 }, () => user('many'));
    for (const u of users.slice(0, 20)) await store.connect(u, conn(`${u}-c`, clock), clock);
    const connections = await store.connectionsOf(users, clock, 'pages');
    expect([...connections.keys()].sort()).toEqual(users.slice(0, 20).sort());
    const snapshot = await store.snapshot(users);
    expect(users.filter((u) => snapshot.get(u)!.online)).toEqual(users.slice(0, 20));
  });

  it('claims only users still stale at claim time', async () => {
    const [stale, refreshed] = [user('stale'), user('refreshed')];
    await store.connect(stale, conn('s1', clock), clock);
    await store.connect(refreshed, conn('r1', clock), clock);
    const later = clock + 3 * MINUTE;
    const shards = new Set([keys.shardOf(stale), keys.shardOf(refreshed)]);
    const candidates = new Map<number, string[]>();
    // Other tests' users share these shards; claim only this test's two.
    for (const shard of shards) {
      const found = await store.staleCandidates(shard, later, 1000);
      candidates.set(
        shard,
        found.filter((id) => id === stale || id === refreshed),
      );
    }
    expect([...candidates.values()].flat().sort()).toEqual([refreshed, stale].sort());
    await store.heartbeat(refreshed, conn('r1'), later); // lands between scan and claim
    const pending = new Map<string, string[]>();
    for (const [shard, ids] of candidates)
      for (const [id, conns] of await store.claimStale(shard, ids, later)) pending.set(id, conns);
    expect(pending.get(stale)).toEqual(['s1']);
    expect(pending.has(refreshed)).toBe(false);
    expect((await store.snapshot([stale])).get(stale)).toMatchObject({ online: false, lastSeenAt: clock });
    for (const shard of shards) await store.clearPending(shard, new Map([[stale, ['s1']]]));
  });

  describe('budgets', () => {
    const tight = () =>
      new RedisPresenceStore(redis, keys, {
        ...timings,
        // A burst of 2: the came-online announcement and one update.
        limits: { messagesPerWindow: 2, messageWindowMs: 300, floodCloseAfter: 2, fanOutBurst: 2, fanOutIntervalMs: MINUTE },
      });

    it('counts messages per connection in a window: over, closing, closed; then a new window', async () => {
      const budgeted = tight();
      const u = user('flood');
      await budgeted.connect(u, conn('c1', clock), clock);
      const verdicts = [];
      for (let i = 0; i < 5; i++) verdicts.push(await budgeted.heartbeat(u, conn('c1'), clock + i));
      expect(verdicts).toEqual(['ok', 'ok', 'limited', 'close', 'closed']);
      expect((await budgeted.snapshot([u])).get(u)!.lastActiveAt).toBe(clock + 3); // a dropped message changes nothing
      expect(await budgeted.countMessage(u, 'other')).toBe('ok'); // per connection
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(await budgeted.heartbeat(u, conn('c1'), clock + 10)).toBe('ok');
    });

    it('holds one push lease per user: a page stored meanwhile is sent by the release, latest only', async () => {
      const u = user('lease');
      await connected(store, u, 'c1');
      const first = await store.updatePage(u, conn('c1'), clock, page('https://example.com/1'));
      expect(first.stored && first.fanOut?.page.url).toBe('https://example.com/1');
      for (const n of [2, 3]) {
        const later = await store.updatePage(u, conn('c1'), clock + n, page(`https://example.com/${n}`));
        expect(later).toEqual({ stored: true, verdict: 'ok', fanOut: null });
      }
      const next = await store.releasePush(u, clock + 5, true);
      expect(next).toMatchObject({ page: page('https://example.com/3'), ownConnections: ['c1'] });
      expect(await store.releasePush(u, clock + 6, true)).toBeNull();
      const claimed = await store.claimDeferred(keys.shardOf(u), clock + 60 * MINUTE, 100);
      expect(claimed.filter((entry) => entry.userId === u)).toEqual([]);
    });

    it('lets the sweep finish a fan-out whose pusher died, once its lease has expired', async () => {
      const u = user('died');
      const shard = keys.shardOf(u);
      await connected(store, u, 'c1');
      await store.updatePage(u, conn('c1'), clock, page('https://example.com/1')); // takes the lease, never releases
      await store.updatePage(u, conn('c1'), clock + 1, page('https://example.com/2'));
      const mine = (claimed: { userId: string }[]) => claimed.filter((entry) => entry.userId === u);
      expect(mine(await store.claimDeferred(shard, clock + 1000, 100))).toEqual([]);
      const claimed = mine(await store.claimDeferred(shard, clock + timings.pushLeaseMs + 1, 100));
      expect(claimed).toEqual([
        { userId: u, page: page('https://example.com/2'), latest: page('https://example.com/2'), at: expect.any(Number), ownConnections: ['c1'] },
      ]);
      expect(await store.releasePush(u, clock + timings.pushLeaseMs + 2, false)).toBeNull();
      expect(mine(await store.claimDeferred(shard, clock + 10 * timings.pushLeaseMs, 100))).toEqual([]);
    });

    it('defers pages over the fan-out budget (due at once) and drops users who went offline', async () => {
      const budgeted = tight();
      const [u, gone] = [user('over'), user('gone')];
      for (const id of [u, gone]) {
        await connected(budgeted, id, 'c1');
        const first = await budgeted.updatePage(id, conn('c1'), clock, page('https://example.com/1'));
        expect(first.stored && first.fanOut).not.toBeNull();
        expect(await budgeted.releasePush(id, clock, true)).toBeNull();
        expect(await budgeted.updatePage(id, conn('c1'), clock + 1, page('https://example.com/2'))).toEqual({ stored: true, verdict: 'ok', fanOut: null });
      }
      await budgeted.disconnect(gone, 'c1', clock + 2, 0);
      await budgeted.friendsTold(gone);
      const claimed = [keys.shardOf(u), keys.shardOf(gone)].flatMap((shard) => [shard]);
      const flushed = [];
      for (const shard of new Set(claimed)) flushed.push(...(await budgeted.claimDeferred(shard, clock + 3, 100)));
      expect(flushed.filter((entry) => entry.userId === u || entry.userId === gone).map((entry) => [entry.userId, entry.page.url])).toEqual([
        [u, 'https://example.com/2'],
      ]);
    });

    it('tells a disconnect of a user Redis knows nothing about (its data was lost) from a repeated one', async () => {
      const u = user('lost');
      expect(await store.disconnect(u, 'c1', clock, 0)).toBe('was-unknown');
      expect(await store.disconnect(u, 'c1', clock + 1, 0)).toBe('unchanged');
      await store.friendsTold(u);
    });
  });

  describe('service and sweeper on this topology', () => {
    beforeAll(async () => {
      await resetTables(pool);
    });

    it('lists a friend accepted after the friend cache was filled, with live presence', async () => {
      const [me, old, fresh] = [user('me'), user('old'), user('fresh')];
      await seedUsers(pool, [me, old, fresh]);
      await befriendAll(pool, [[me, old]]);
      const cachedDirectory = new PostgresFriendDirectory(pool, { ...noCache, freshMs: 60_000 });
      const cachedService = new PresenceService({
        store,
        directory: cachedDirectory,
        gateway: sinkGateway,
        settings: { pushConcurrency: 8, offlineGraceMs: 0 },
        clock: now,
      });
      expect((await cachedService.snapshot(me)).presenceArr.map((entry) => entry.userId)).toEqual([old]);
      await befriendAll(pool, [[fresh, me]]);
      await store.connect(fresh, conn('fresh-conn', clock), clock);
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
      for (const [u, id] of [
        [a, 'ca'],
        [b, 'cb'],
        [c, 'cc'],
      ] as const) {
        sockets.open(`${id}-${topology}`);
        await service.connect(u, conn(`${id}-${topology}`));
      }
      await service.updatePresence(a, conn(`ca-${topology}`), 'https://www.bbc.co.uk/news', 'News');
      expect(sockets.frames(`cb-${topology}`)).toEqual([
        expect.objectContaining({ type: 'update-presence', userId: a, domain: 'bbc.co.uk' }),
      ]);
      expect(sockets.frames(`cc-${topology}`)).toHaveLength(1);

      for (const s of stale) {
        sockets.open(`ghost-${s}`);
        await service.connect(s, conn(`ghost-${s}`, clock - 10 * MINUTE));
      }
      // Make them stale: their last activity is ten minutes ago, and so their connection's deadline passed.
      for (const s of stale) {
        await redis.zadd(keys.status(keys.shardOf(s)), 'XX', clock - 10 * MINUTE, s);
        await redis.zadd(keys.due(keys.shardOf(s)), 'XX', clock - 10 * MINUTE + DEFAULT_ALLOWANCE, s);
      }
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
      expect(sockets.take(`cb-${topology}`)).toEqual([{ type: 'presence-timeout', userId: a, at: clock }]);
    });
  });
}

describe('RedisPresenceStore', () => {
  it('refuses a client with an ioredis keyPrefix, which would prefix the keys KeySpace already prefixed', () => {
    const prefixed = new Redis({ lazyConnect: true, keyPrefix: 'twice:' });
    expect(() => new RedisPresenceStore(prefixed, new KeySpace('once:', 8), timings)).toThrow(/without keyPrefix/);
    prefixed.disconnect();
  });
});

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
