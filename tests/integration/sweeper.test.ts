/**
 * The sweep's races and failure modes, driven through the real sweep-shard handler and the real
 * store/sweeper of the handlers' runtime (real Redis, PostgreSQL and HTTP management API). Users
 * are made stale by writing their status score into Redis; races are staged deterministically by
 * running the competing request at the exact step (spy wrapping the real method), never by timing.
 */
import type { SweepShardOutput } from '../../handlers/sweep-shard';
import { deleteKeysWithPrefix } from '../support/redis-keys';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import { KeySpace } from '../../layers/core/keys';
import { getRuntime, type Runtime } from '../../layers/core/runtime';
import { befriendAll, createPool, resetTables, seedUsers } from '../support/db';
import { redisUrl } from '../support/env';
import { HandlerHarness, lambdaContext } from '../support/handler-harness';

const SHARDS = 4;
const TIMEOUT_SECONDS = 5;
const BATCH = 3;

type SweepOutput = SweepShardOutput;

describe('timeout sweep (sweep-shard handler, races and failures)', () => {
  const harness = new HandlerHarness('sweeper', {
    PRESENCE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
    STATUS_SHARDS: String(SHARDS),
    SWEEP_BATCH_SIZE: String(BATCH),
    PUSH_CONCURRENCY: '4',
  });
  const keys = new KeySpace(harness.keyPrefix, SHARDS);
  let pool: Pool;
  let redis: Redis;
  let runtime: Runtime;

  const sweep = (shard: number, extra: Record<string, unknown> = {}) =>
    harness.handler('sweep-shard')(
      { shard, startedAt: new Date().toISOString(), ...extra },
      lambdaContext('sweep-shard'),
    ) as Promise<SweepOutput>;

  async function clearRedis(): Promise<void> {
    await deleteKeysWithPrefix(redis, harness.keyPrefix);
  }

  /** Last active `agoMs` ago on a connection without a negotiated heartbeat: due the timeout after that. */
  async function makeStale(userId: string, agoMs = 10 * 60_000): Promise<number> {
    const at = Date.now() - agoMs;
    const shard = keys.shardOf(userId);
    await redis.multi().zadd(keys.status(shard), at, userId).zadd(keys.due(shard), at + TIMEOUT_SECONDS * 1000, userId).exec();
    return at;
  }

  /** `count` fresh ids that all live in `shard`. */
  function idsInShard(prefix: string, shard: number, count: number): string[] {
    const ids: string[] = [];
    for (let i = 0; ids.length < count; i++) if (keys.shardOf(`${prefix}${i}`) === shard) ids.push(`${prefix}${i}`);
    return ids;
  }

  const isOnline = async (userId: string) => (await redis.zscore(keys.status(keys.shardOf(userId)), userId)) !== null;
  const timeouts = (connectionId: string) =>
    (harness.connections.frames(connectionId) as { type: string }[]).filter((frame) => frame.type === 'presence-timeout');

  /** A stale user `userId` with one connection, and an online friend with one connection. */
  async function staleWithFriend(userId: string, friendId = `friend-of-${userId}`): Promise<number> {
    await seedUsers(pool, [userId, friendId]);
    await befriendAll(pool, [[userId, friendId]]);
    await harness.connect(userId, `c-${userId}`);
    await harness.connect(friendId, `c-${friendId}`);
    return makeStale(userId);
  }

  beforeAll(async () => {
    await harness.start();
    harness.handler('sweep-shard'); // creates the shared runtime with the harness environment
    runtime = getRuntime();
    pool = createPool();
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    await clearRedis();
    redis.disconnect();
    await pool.end();
    await harness.close();
  });

  beforeEach(async () => {
    jest.restoreAllMocks();
    await clearRedis();
    await resetTables(pool);
    harness.connections.clearAll();
  });

  it('an empty shard ends immediately', async () => {
    const result = await sweep(1);
    expect(result).toMatchObject({ shard: 1, processed: 0, timedOut: 0, cameBack: 0, notifications: 0, connectionsClosed: 0, more: false });
    expect(harness.connections.posts).toBe(0);
  });

  it('a user who is not yet stale is left alone', async () => {
    await seedUsers(pool, ['recent', 'recent-friend']);
    await befriendAll(pool, [['recent', 'recent-friend']]);
    await harness.connect('recent', 'c-recent');
    await harness.connect('recent-friend', 'c-recent-friend');
    // Active just inside the timeout.
    await makeStale('recent', TIMEOUT_SECONDS * 1000 - 2000);

    const result = await sweep(keys.shardOf('recent'));

    expect(result.processed).toBe(0);
    expect(await isOnline('recent')).toBe(true);
    expect(timeouts('c-recent-friend')).toEqual([]);
  });

  describe('a heartbeat that lands between the candidate scan and the claim keeps the user online', () => {
    it('at the store level', async () => {
      await staleWithFriend('hb-user');
      const shard = keys.shardOf('hb-user');
      const now = Date.now();

      const candidates = await runtime.store.staleCandidates(shard, now, 10);
      expect(candidates).toContain('hb-user');
      expect((await harness.heartbeat('hb-user', 'c-hb-user')).statusCode).toBe(200);
      const pending = await runtime.store.claimStale(shard, candidates, now);

      expect(pending.has('hb-user')).toBe(false);
      expect(await isOnline('hb-user')).toBe(true);
      expect(await redis.zscore(keys.connections('hb-user'), 'c-hb-user')).not.toBeNull();
    });

    it('end to end through the handler', async () => {
      await staleWithFriend('hb-e2e');
      const claim = runtime.store.claimStale.bind(runtime.store);
      const spy = jest.spyOn(runtime.store, 'claimStale').mockImplementation(async (...args) => {
        expect(args[1]).toContain('hb-e2e'); // it was a candidate
        await harness.heartbeat('hb-e2e', 'c-hb-e2e');
        return claim(...args);
      });

      const result = await sweep(keys.shardOf('hb-e2e'));

      expect(spy).toHaveBeenCalledTimes(1);
      expect(result).toMatchObject({ processed: 0, timedOut: 0 });
      expect(await isOnline('hb-e2e')).toBe(true);
      expect(timeouts('c-friend-of-hb-e2e')).toEqual([]);
      expect(harness.connections.isOpen('c-hb-e2e')).toBe(true);
      const presence = JSON.parse((await harness.getPresence('friend-of-hb-e2e')).body) as { presenceArr: { page: unknown }[] };
      expect(presence.presenceArr[0]!.page).not.toBeNull();
    });
  });

  describe('a user who reconnects after being claimed is not announced offline', () => {
    it('claimed (a crashed sweep), then reconnects, then the next sweep runs', async () => {
      await staleWithFriend('rc-user');
      const shard = keys.shardOf('rc-user');
      const now = Date.now();
      await runtime.store.claimStale(shard, ['rc-user'], now);
      expect(await isOnline('rc-user')).toBe(false);
      await harness.connect('rc-user', 'c-rc-user-new');

      const result = await sweep(shard);

      expect(result).toMatchObject({ processed: 1, timedOut: 0, cameBack: 1, notifications: 0, connectionsClosed: 1 });
      expect(timeouts('c-friend-of-rc-user')).toEqual([]);
      expect(await isOnline('rc-user')).toBe(true);
      expect(harness.connections.closed).toEqual(['c-rc-user']); // the ghost socket only
      expect(harness.connections.isOpen('c-rc-user-new')).toBe(true);
      expect(await redis.hlen(keys.pending(shard))).toBe(0);
    });

    it('end to end: reconnect between the claim and the notification step', async () => {
      await staleWithFriend('rc-e2e');
      const claim = runtime.store.claimStale.bind(runtime.store);
      const spy = jest.spyOn(runtime.store, 'claimStale').mockImplementation(async (...args) => {
        const pending = await claim(...args);
        expect(pending.has('rc-e2e')).toBe(true); // claimed
        await harness.connect('rc-e2e', 'c-rc-e2e-new');
        return pending;
      });

      const result = await sweep(keys.shardOf('rc-e2e'));

      expect(spy).toHaveBeenCalledTimes(1);
      expect(result).toMatchObject({ processed: 1, timedOut: 0, cameBack: 1, notifications: 0 });
      expect(timeouts('c-friend-of-rc-e2e')).toEqual([]);
      expect(await isOnline('rc-e2e')).toBe(true);
      expect(harness.connections.isOpen('c-rc-e2e-new')).toBe(true);
    });
  });

  it('running the task twice gives the same end state, without duplicate notifications', async () => {
    const users = idsInShard('twice-', 2, 2);
    await seedUsers(pool, [...users, 'twice-friend']);
    await befriendAll(
      pool,
      users.map((id) => [id, 'twice-friend'] as const),
    );
    for (const id of users) await harness.connect(id, `c-${id}`);
    await harness.connect('twice-friend', 'c-twice-friend');
    for (const id of users) await makeStale(id);

    const first = await sweep(2);
    const second = await sweep(2);

    expect(first).toMatchObject({ processed: 2, timedOut: 2, notifications: 2, connectionsClosed: 2, more: false });
    expect(second).toMatchObject({ processed: 0, timedOut: 0, notifications: 0, connectionsClosed: 0, more: false });
    expect(timeouts('c-twice-friend')).toHaveLength(2);
    for (const id of users) expect(await isOnline(id)).toBe(false);
  });

  it('never fails on keys or sockets that are already gone, and never resurrects a timed-out user', async () => {
    const lastActive = await staleWithFriend('gone-user');
    const shard = keys.shardOf('gone-user');
    // The page and connection keys vanished already (e.g. expired), and the socket is gone at API Gateway.
    await redis.del(keys.connections('gone-user'), keys.page('gone-user'));
    harness.connections.drop('c-gone-user');

    const result = await sweep(shard);
    expect(result).toMatchObject({ processed: 1, timedOut: 1, notifications: 1 });
    expect(timeouts('c-friend-of-gone-user')).toEqual([{ type: 'presence-timeout', userId: 'gone-user', at: expect.any(Number) }]);

    // A late heartbeat or update from the old socket cannot bring the user back.
    await harness.heartbeat('gone-user', 'c-gone-user');
    await harness.update('gone-user', 'c-gone-user', { url: 'https://example.com/', title: 'x' });
    expect(await isOnline('gone-user')).toBe(false);
    expect(await sweep(shard)).toMatchObject({ processed: 0 });
    expect(await runtime.store.snapshot(['gone-user'])).toEqual(
      new Map([['gone-user', expect.objectContaining({ online: false, lastSeenAt: lastActive })]]),
    );
  });

  it('completes a batch that crashed after the claim, before any notification', async () => {
    const lastActive = await staleWithFriend('crash-user');
    const shard = keys.shardOf('crash-user');
    const now = Date.now();
    const pending = await runtime.store.claimStale(shard, ['crash-user'], now);
    expect(pending).toEqual(new Map([['crash-user', ['c-crash-user']]]));
    // "Crash": nobody was told, the user is offline, the pending hash remembers them.
    expect(timeouts('c-friend-of-crash-user')).toEqual([]);
    expect(await isOnline('crash-user')).toBe(false);

    const result = await sweep(shard);

    expect(result).toMatchObject({ processed: 1, timedOut: 1, notifications: 1, connectionsClosed: 1, more: false });
    expect(timeouts('c-friend-of-crash-user')).toEqual([{ type: 'presence-timeout', userId: 'crash-user', at: expect.any(Number) }]);
    expect(harness.connections.closed).toEqual(['c-crash-user']);
    expect(await redis.hlen(keys.pending(shard))).toBe(0);
    expect((await runtime.store.snapshot(['crash-user'])).get('crash-user')?.lastSeenAt).toBe(lastActive);
  });

  it('works through a pending backlog larger than one batch, one batch at a time', async () => {
    // After an outage, failed batches can leave more claimed users pending than one batch holds.
    const users = idsInShard('backlog-', 3, 2 * BATCH + 1);
    await seedUsers(pool, [...users, 'backlog-friend']);
    await befriendAll(
      pool,
      users.map((id) => [id, 'backlog-friend'] as const),
    );
    for (const id of users) await harness.connect(id, `c-${id}`);
    await harness.connect('backlog-friend', 'c-backlog-friend');
    for (const id of users) await makeStale(id);
    const now = Date.now();
    await runtime.store.claimStale(3, users, now);

    const results: SweepOutput[] = [];
    do results.push(await sweep(3));
    while (results.at(-1)!.more && results.length < 10);

    expect(results.map((r) => r.processed)).toEqual([BATCH, BATCH, 1]);
    expect(results.map((r) => r.more)).toEqual([true, true, false]);
    const told = (timeouts('c-backlog-friend') as unknown as { userId: string }[]).map((frame) => frame.userId).sort();
    expect(told).toEqual([...users].sort());
  });

  it('loops while batches come back full, and stops when the time budget is spent', async () => {
    const users = idsInShard('loop-', 0, BATCH + 1);
    await seedUsers(pool, users);
    for (const id of users) await harness.connect(id, `c-${id}`);
    for (const id of users) await makeStale(id);

    const spent = await sweep(0, { startedAt: new Date(Date.now() - 60 * 60_000).toISOString() });
    expect(spent).toMatchObject({ processed: BATCH, more: false }); // full batch, but the budget is gone
    const rest = await sweep(0);
    expect(rest).toMatchObject({ processed: 1, more: false });
  });

  it('honours the batch size the state machine passes, and rejects bad input', async () => {
    const users = idsInShard('size-', 1, 3);
    await seedUsers(pool, users);
    for (const id of users) await harness.connect(id, `c-${id}`);
    for (const id of users) await makeStale(id);

    expect(await sweep(1, { batchSize: 2 })).toMatchObject({ processed: 2, more: true });
    expect(await sweep(1, { batchSize: 2 })).toMatchObject({ processed: 1, more: false });
    await expect(sweep(1, { batchSize: 0 })).rejects.toThrow(/batchSize/);
    await expect(sweep(SHARDS)).rejects.toThrow(/shard must be/);
  });

  it('does not notify a friend who timed out in the same batch', async () => {
    const [a, b] = idsInShard('pair-', 0, 2) as [string, string];
    await seedUsers(pool, [a, b, 'pair-watcher']);
    await befriendAll(pool, [
      [a, b],
      [a, 'pair-watcher'],
    ]);
    for (const id of [a, b, 'pair-watcher']) await harness.connect(id, `c-${id}`);
    harness.connections.clearAll(); // the came-online announcements of these connects are not what this test counts
    await makeStale(a);
    await makeStale(b);

    const result = await sweep(0);

    expect(result).toMatchObject({ timedOut: 2, notifications: 1 });
    expect(timeouts('c-pair-watcher')).toEqual([{ type: 'presence-timeout', userId: a, at: expect.any(Number) }]);
    expect(harness.connections.posts).toBe(1);
  });
});
