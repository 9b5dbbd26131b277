/**
 * The PresenceStore contract, run on the Redis store (real Redis) and on the in-memory fake the unit
 * tests use (tests/support/fakes/memory-presence-store.ts), with the same expectations: the fake may
 * stand in for Redis in tests of the service and the sweeper only while it answers as Redis does.
 * Every test gets a fresh store (its own key prefix), so shard-wide reads see only its users.
 */
import Redis from 'ioredis';
import type { RateLimits } from '../../layers/core/config';
import { KeySpace } from '../../layers/core/keys';
import type { Page } from '../../layers/core/model';
import { HANDSHAKE_GRACE_MS, type PresenceStore } from '../../layers/core/ports/presence-store';
import { RedisPresenceStore } from '../../layers/core/redis/presence-store';
import { redisUrl, testRedisPrefix } from '../support/env';
import { GENEROUS_LIMITS, MINUTE } from '../support/fakes/core';
import { MemoryPresenceStore } from '../support/fakes/memory-presence-store';

const SHARDS = 4;
const timings = {
  connectionMaxAgeMs: 120 * MINUTE,
  lastSeenRetentionMs: 30 * 24 * 60 * MINUTE,
  pageTtlMs: 125 * MINUTE,
  pushLeaseMs: 15_000,
};
const EMPTY: Page = { url: '', title: '', domain: '' };
const page = (n: number): Page => ({ url: `https://example.com/${n}`, title: String(n), domain: 'example.com' });

interface StoreUnderTest {
  store: PresenceStore;
  shardOf(userId: string): number;
  /** Writes a user's last activity, as a test that makes a user stale does. */
  setLastActive(userId: string, at: number): Promise<void>;
}

type Backend = [name: string, make: (limits: RateLimits) => StoreUnderTest];

let redis: Redis;
let suites = 0;

const backends: Backend[] = [
  [
    'RedisPresenceStore on Redis',
    (limits) => {
      const keys = new KeySpace(testRedisPrefix(`store-contract-${++suites}`), SHARDS);
      return {
        store: new RedisPresenceStore(redis, keys, { ...timings, limits }),
        shardOf: (userId) => keys.shardOf(userId),
        setLastActive: async (userId, at) => void (await redis.zadd(keys.status(keys.shardOf(userId)), at, userId)),
      };
    },
  ],
  [
    'MemoryPresenceStore (the unit tests’ fake)',
    (limits) => {
      const store = new MemoryPresenceStore({ ...timings, shards: SHARDS, limits });
      return { store, shardOf: (userId) => store.shardOf(userId), setLastActive: async (userId, at) => store.setLastActive(userId, at) };
    },
  ],
];

beforeAll(() => {
  redis = new Redis(redisUrl());
});

afterAll(async () => {
  await redis.quit();
});

describe.each(backends)('PresenceStore contract: %s', (_name, make) => {
  let subject: StoreUnderTest;
  let store: PresenceStore;
  let now: number;

  const use = (limits: Partial<RateLimits>) => {
    subject = make({ ...GENEROUS_LIMITS, ...limits });
    store = subject.store;
  };
  /** Connects as the $connect handler does: the came-online lease is taken, then given back. */
  const connected = async (userId: string, connectionId: string, at = now) => {
    const { fanOut } = await store.connect(userId, connectionId, at, at);
    if (fanOut) expect(await store.releasePush(userId, at, true)).toBeNull();
  };
  const online = async (userId: string) => (await store.snapshot([userId])).get(userId)!.online;

  beforeEach(() => {
    now = Date.now();
    use({});
  });

  it('connect: came online once, holding the push lease; an expired connection is refused', async () => {
    expect(await store.connect('u', 'c1', now, now)).toEqual({
      cameOnline: true,
      fanOut: { page: EMPTY, latest: EMPTY, ownConnections: [] },
    });
    expect(await store.releasePush('u', now, true)).toBeNull();
    expect(await store.connect('u', 'c2', now, now)).toEqual({ cameOnline: false, fanOut: null });
    expect(await store.connect('v', 'old', now - timings.connectionMaxAgeMs - 1, now)).toEqual({ cameOnline: false, fanOut: null });
    expect(await online('v')).toBe(false);
  });

  it('heartbeat: refreshes activity (never backwards) for a registered connection only', async () => {
    await connected('u', 'c1');
    expect(await store.heartbeat('u', 'c1', now + 5000)).toBe('ok');
    expect(await store.heartbeat('u', 'c1', now + 1000)).toBe('ok');
    expect(await store.heartbeat('u', 'nope', now + 6000)).toBe('stale');
    expect((await store.snapshot(['u'])).get('u')).toEqual({
      online: true,
      lastActiveAt: now + 5000,
      page: EMPTY,
      latestPage: null,
      lastSeenAt: null,
    });
  });

  it('updatePage: stores the page and the latest shared one; a hidden page keeps the latest; own connections come back', async () => {
    await connected('u', 'c1');
    await store.connect('u', 'c2', now, now);
    const first = await store.updatePage('u', 'c1', now, page(1));
    expect(first).toEqual({ stored: true, verdict: 'ok', fanOut: { page: page(1), latest: page(1), ownConnections: expect.any(Array) } });
    expect(first.stored && first.fanOut!.ownConnections.sort()).toEqual(['c1', 'c2']);
    expect(await store.releasePush('u', now, true)).toBeNull();
    const hidden = await store.updatePage('u', 'c2', now + 1, EMPTY);
    expect(hidden.stored && { page: hidden.fanOut!.page, latest: hidden.fanOut!.latest }).toEqual({ page: EMPTY, latest: page(1) });
    expect((await store.snapshot(['u'])).get('u')).toMatchObject({ page: EMPTY, latestPage: page(1) });
    expect(await store.updatePage('u', 'unknown', now, page(2))).toEqual({ stored: false, verdict: 'stale' });
  });

  it('the push lease: pages stored while it is held are coalesced; the release hands over the latest, then nothing', async () => {
    await connected('u', 'c1');
    const first = await store.updatePage('u', 'c1', now, page(1));
    expect(first.stored && first.fanOut?.page).toEqual(page(1));
    expect(await store.updatePage('u', 'c1', now + 1, page(2))).toEqual({ stored: true, verdict: 'ok', fanOut: null });
    expect(await store.updatePage('u', 'c1', now + 2, page(3))).toEqual({ stored: true, verdict: 'ok', fanOut: null });
    expect(await store.releasePush('u', now + 3, true)).toEqual({ page: page(3), latest: page(3), ownConnections: ['c1'] });
    expect(await store.releasePush('u', now + 4, true)).toBeNull();
    expect(await store.claimDeferred(subject.shardOf('u'), now + 60 * MINUTE, 100)).toEqual([]);
  });

  it('claimDeferred: a fan-out whose pusher died is claimed once its lease expired, then released', async () => {
    await connected('u', 'c1');
    await store.updatePage('u', 'c1', now, page(1)); // takes the lease, never releases
    await store.updatePage('u', 'c1', now + 1, page(2));
    const shard = subject.shardOf('u');
    expect(await store.claimDeferred(shard, now + 1000, 100)).toEqual([]);
    const due = now + timings.pushLeaseMs + 1;
    expect(await store.claimDeferred(shard, due, 100)).toEqual([{ userId: 'u', page: page(2), latest: page(2), ownConnections: ['c1'] }]);
    expect(await store.claimDeferred(shard, due, 100)).toEqual([]); // claimed: its lease is held
    expect(await store.releasePush('u', due + 1, false)).toBeNull();
    expect(await store.claimDeferred(shard, due + 10 * timings.pushLeaseMs, 100)).toEqual([]);
  });

  it('the fan-out budget: over it, a page is deferred (due at once); users who went offline are dropped', async () => {
    use({ fanOutBurst: 2, fanOutIntervalMs: MINUTE }); // the came-online announcement and one update
    for (const userId of ['over', 'gone']) {
      await connected(userId, 'c1');
      const first = await store.updatePage(userId, 'c1', now, page(1));
      expect(first.stored && first.fanOut).not.toBeNull();
      expect(await store.releasePush(userId, now, true)).toBeNull();
      expect(await store.updatePage(userId, 'c1', now + 1, page(2))).toEqual({ stored: true, verdict: 'ok', fanOut: null });
    }
    expect(await store.disconnect('gone', 'c1', now + 2)).toBe('went-offline');
    const flushed = [];
    for (const shard of new Set([subject.shardOf('over'), subject.shardOf('gone')]))
      flushed.push(...(await store.claimDeferred(shard, now + 3, 100)));
    expect(flushed.map(({ userId, page }) => [userId, page.url])).toEqual([['over', page(2).url]]);
    expect(await store.releasePush('over', now + 4, true)).toBeNull(); // nothing newer was stored
  });

  it('the message budget: per connection and window; limited, closing, then closed (and dropped)', async () => {
    use({ messagesPerWindow: 2, messageWindowMs: MINUTE, floodCloseAfter: 2 });
    await connected('u', 'c1');
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await store.heartbeat('u', 'c1', now + i));
    expect(verdicts).toEqual(['ok', 'ok', 'limited', 'close', 'closed']);
    expect((await store.snapshot(['u'])).get('u')!.lastActiveAt).toBe(now + 3);
    expect(await store.updatePage('u', 'c1', now + 10, page(1))).toEqual({ stored: false, verdict: 'closed' });
    expect(await store.countMessage('u', 'c2')).toBe('ok');
    expect(await store.countMessage('u', 'c2')).toBe('ok');
    expect(await store.countMessage('u', 'c2')).toBe('limited');
    expect(await store.countMessage('u', 'c2')).toBe('close');
  });

  it('an update over the message budget is stored and deferred', async () => {
    use({ messagesPerWindow: 1, messageWindowMs: MINUTE, floodCloseAfter: 3 });
    await connected('u', 'c1');
    expect(await store.heartbeat('u', 'c1', now)).toBe('ok');
    expect(await store.updatePage('u', 'c1', now + 1, page(1))).toEqual({ stored: true, verdict: 'limited', fanOut: null });
    expect(await store.updatePage('u', 'c1', now + 2, page(2))).toEqual({ stored: true, verdict: 'limited-quietly', fanOut: null });
    expect(await store.claimDeferred(subject.shardOf('u'), now + 3, 100)).toEqual([
      { userId: 'u', page: page(2), latest: page(2), ownConnections: ['c1'] },
    ]);
  });

  it('disconnect: offline only with the last connection, pending until friends were told; a user it never knew is announced once', async () => {
    await connected('u', 'old');
    await connected('u', 'new');
    expect(await store.disconnect('u', 'old', now)).toBe('unchanged');
    expect(await store.disconnect('u', 'old', now)).toBe('unchanged');
    expect(await online('u')).toBe(true);
    expect(await store.disconnect('u', 'new', now + 10)).toBe('went-offline');
    expect(await store.disconnect('u', 'new', now + 20)).toBe('unchanged');
    expect((await store.snapshot(['u'])).get('u')).toEqual({
      online: false,
      lastActiveAt: null,
      page: null,
      latestPage: null,
      lastSeenAt: now + 10,
    });
    expect(await store.pending(subject.shardOf('u'))).toEqual(new Map([['u', []]]));
    await store.friendsTold('u');
    expect(await store.pending(subject.shardOf('u'))).toEqual(new Map());

    expect(await store.disconnect('lost', 'c1', now)).toBe('was-unknown');
    expect(await store.disconnect('lost', 'c1', now + 1)).toBe('unchanged');
  });

  it('removeConnections: exactly the gone ones, never one still in its handshake', async () => {
    const settled = now - HANDSHAKE_GRACE_MS - 1000;
    await store.connect('u', 'dead', settled, now);
    await store.connect('u', 'live', settled, now);
    await store.connect('u', 'connecting', now, now);
    await store.removeConnections(
      ['dead', 'never-existed', 'connecting'].map((connectionId) => ({ userId: 'u', connectionId })),
      now,
    );
    expect((await store.connectionsOf(['u', 'offline'], now)).get('u')?.sort()).toEqual(['connecting', 'live']);
    expect((await store.connectionsOf(['u', 'offline'], now)).has('offline')).toBe(false);
  });

  it('the sweep: candidates least recent first; the claim re-checks staleness; pending entries are compared before they are cleared', async () => {
    const shard = subject.shardOf('stale-0');
    const users: string[] = [];
    for (let i = 0; users.length < 3; i++) if (subject.shardOf(`stale-${i}`) === shard) users.push(`stale-${i}`);
    const [refreshed, claimed, other] = users as [string, string, string];
    for (const userId of users) await connected(userId, `c-${userId}`);
    const cutoff = now - 2 * MINUTE;
    for (const [i, userId] of users.entries()) await subject.setLastActive(userId, cutoff - 1000 * (i + 1));
    const candidates = await store.staleCandidates(shard, cutoff, 100);
    expect(candidates).toEqual([other, claimed, refreshed]);
    expect(await store.staleCandidates(shard, cutoff, 1)).toEqual([other]);

    await store.heartbeat(refreshed, `c-${refreshed}`, now); // between the scan and the claim
    const pending = await store.claimStale(shard, candidates, cutoff, now);
    expect(pending).toEqual(
      new Map([
        [claimed, [`c-${claimed}`]],
        [other, [`c-${other}`]],
      ]),
    );
    expect(await online(refreshed)).toBe(true);
    expect((await store.snapshot([claimed])).get(claimed)).toMatchObject({ online: false, lastSeenAt: cutoff - 2000 });
    expect(await store.heartbeat(claimed, `c-${claimed}`, now)).toBe('stale');
    expect(await store.claimStale(shard, [], cutoff, now)).toEqual(pending); // a retried task finds them
    expect(await store.pending(shard)).toEqual(pending);

    await connected(claimed, `c-${claimed}-new`);
    expect(await store.onlineAmong(shard, [...pending.keys()])).toEqual(new Set([claimed]));
    await store.clearPending(shard, new Map([[claimed, ['something-else']]]));
    expect((await store.pending(shard)).has(claimed)).toBe(true); // replaced meanwhile: kept
    await store.clearPending(shard, pending);
    expect(await store.pending(shard)).toEqual(new Map());
  });

  it('snapshot: every asked user, online with page and activity, offline with when they were last seen', async () => {
    await connected('on', 'c1');
    await store.updatePage('on', 'c1', now + 1, page(1));
    await connected('off', 'c2');
    await store.disconnect('off', 'c2', now + 2);
    const snapshot = await store.snapshot(['on', 'off', 'never']);
    expect(snapshot).toEqual(
      new Map([
        ['on', { online: true, lastActiveAt: now + 1, page: page(1), latestPage: page(1), lastSeenAt: null }],
        ['off', { online: false, lastActiveAt: null, page: null, latestPage: null, lastSeenAt: now + 2 }],
        ['never', { online: false, lastActiveAt: null, page: null, latestPage: null, lastSeenAt: null }],
      ]),
    );
  });
});
