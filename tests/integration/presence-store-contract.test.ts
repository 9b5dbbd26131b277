/**
 * The PresenceStore contract, run on the Redis store (real Redis) and on the in-memory fake the unit
 * tests use (tests/support/fakes/memory-presence-store.ts), with the same expectations: the fake may
 * stand in for Redis in tests of the service and the sweeper only while it answers as Redis does.
 * Every test gets a fresh store (its own key prefix), so shard-wide reads see only its users.
 */
import Redis from 'ioredis';
import type { RateLimits } from '../../layers/core/config';
import { KeySpace } from '../../layers/core/keys';
import type { ConnectionActivity, Page } from '../../layers/core/model';
import { HANDSHAKE_GRACE_MS, type PresenceStore } from '../../layers/core/ports/presence-store';
import { RedisPresenceStore } from '../../layers/core/redis/presence-store';
import { redisUrl, testRedisPrefix } from '../support/env';
import { GENEROUS_LIMITS, MINUTE } from '../support/fakes/core';
import { MemoryPresenceStore } from '../support/fakes/memory-presence-store';

const SHARDS = 4;
const timings = {
  connectionMaxAgeMs: 120 * MINUTE,
  maxAllowanceMs: 1110_000,
  lastSeenRetentionMs: 30 * 24 * 60 * MINUTE,
  pageTtlMs: 125 * MINUTE,
  pushLeaseMs: 15_000,
};
/** The allowance of a connection that did not negotiate its heartbeat (PRESENCE_TIMEOUT_SECONDS). */
const DEFAULT_ALLOWANCE = 150_000;
const EMPTY: Page = { url: '', title: '', domain: '' };
const page = (n: number): Page => ({ url: `https://example.com/${n}`, title: String(n), domain: 'example.com' });

interface StoreUnderTest {
  store: PresenceStore;
  shardOf(userId: string): number;
  /** Writes a user's last activity and due time, as a test that makes a user stale does. */
  setLastActive(userId: string, at: number): Promise<void>;
  /** Forgets a user's due time, as state written before due times existed lacks it. */
  forgetDue(userId: string): Promise<void>;
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
        setLastActive: async (userId, at) => {
          const shard = keys.shardOf(userId);
          await redis.multi().zadd(keys.status(shard), at, userId).zadd(keys.due(shard), at, userId).exec();
        },
        forgetDue: async (userId) => void (await redis.zrem(keys.due(keys.shardOf(userId)), userId)),
      };
    },
  ],
  [
    'MemoryPresenceStore (the unit tests’ fake)',
    (limits) => {
      const store = new MemoryPresenceStore({ ...timings, shards: SHARDS, limits });
      return {
        store,
        shardOf: (userId) => store.shardOf(userId),
        setLastActive: async (userId, at) => store.setLastActive(userId, at),
        forgetDue: async (userId) => store.forgetDue(userId),
      };
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
  /** A connection as its route knows it: opened `connectedAt`, with an allowance (default: no negotiated heartbeat). */
  const conn = (connectionId: string, connectedAt = now, allowanceMs = DEFAULT_ALLOWANCE): ConnectionActivity => ({
    connectionId,
    connectedAt,
    allowanceMs,
  });
  /** Connects as the $connect handler does: the came-online lease is taken, then given back. */
  const connected = async (userId: string, connection: ConnectionActivity | string, at = now) => {
    const activity = typeof connection === 'string' ? conn(connection, at) : connection;
    const { fanOut } = await store.connect(userId, activity, at);
    if (fanOut) expect(await store.releasePush(userId, at, true)).toBeNull();
    return activity;
  };
  const online = async (userId: string) => (await store.snapshot([userId])).get(userId)!.online;
  const candidates = async (userId: string, at: number) => store.staleCandidates(subject.shardOf(userId), at, 100);

  beforeEach(() => {
    now = Date.now();
    use({});
  });

  it('connect: came online once, holding the push lease; an expired connection is refused', async () => {
    expect(await store.connect('u', conn('c1'), now)).toEqual({
      cameOnline: true,
      fanOut: { page: EMPTY, latest: EMPTY, at: now, ownConnections: [] },
    });
    expect(await store.releasePush('u', now, true)).toBeNull();
    expect(await store.connect('u', conn('c2'), now)).toEqual({ cameOnline: false, fanOut: null });
    expect(await store.connect('v', conn('old', now - timings.connectionMaxAgeMs - 1), now)).toEqual({ cameOnline: false, fanOut: null });
    expect(await online('v')).toBe(false);
  });

  it('heartbeat: refreshes activity (never backwards) for a registered connection API Gateway has not closed', async () => {
    const c1 = await connected('u', 'c1');
    expect(await store.heartbeat('u', c1, now + 5000)).toBe('ok');
    expect(await store.heartbeat('u', c1, now + 1000)).toBe('ok');
    expect(await store.heartbeat('u', conn('nope'), now + 6000)).toBe('stale');
    expect(await store.heartbeat('u', c1, now + timings.connectionMaxAgeMs)).toBe('stale');
    expect((await store.snapshot(['u'])).get('u')).toEqual({
      online: true,
      lastActiveAt: now + 5000,
      page: EMPTY,
      latestPage: null,
      lastSeenAt: null,
      at: now,
    });
  });

  it('a connection is due its allowance after its last message, and its user with their latest connection', async () => {
    const short = await connected('u', conn('short'));
    await connected('u', conn('long', now, 630_000));
    await store.heartbeat('u', short, now + 10_000); // short: due at now + 160 s
    expect(await candidates('u', now + 200_000)).toEqual([]); // the long one's allowance still runs
    expect(await candidates('u', now + 630_000)).toEqual(['u']);
    // The long one closes: the user is due when the short one is.
    expect(await store.disconnect('u', 'long', now + 100_000, 0)).toBe('unchanged');
    expect(await candidates('u', now + 160_000)).toEqual(['u']);
    // Past its deadline a connection is no push target, but a message on it before the sweep still counts.
    expect(await store.connectionsOf(['u'], now + 160_000, 'pages')).toEqual(new Map());
    expect(await store.heartbeat('u', short, now + 170_000)).toBe('ok');
    expect(await store.connectionsOf(['u'], now + 170_001, 'pages')).toEqual(new Map([['u', ['short']]]));
    expect(await candidates('u', now + 319_999)).toEqual([]);
  });

  it('activity on any connection keeps its user; closing one whose siblings all passed their deadlines takes the user offline', async () => {
    const short = await connected('u', conn('short'));
    const long = await connected('u', conn('long', now, 630_000));
    await store.heartbeat('u', long, now + 300_000);
    expect(await candidates('u', now + 630_000)).toEqual([]);
    expect(await candidates('u', now + 930_000)).toEqual(['u']);
    expect(await store.disconnect('u', 'long', now + 300_001, 0)).toBe('went-offline'); // short was due at now + 150 s
    expect(await store.heartbeat('u', short, now + 300_002)).toBe('stale');
  });

  it('no deadline passes API Gateway\'s close', async () => {
    const closesAt = now + 60_000;
    const late = await connected('u', conn('c1', closesAt - timings.connectionMaxAgeMs, 1_110_000), now);
    await store.heartbeat('u', late, now);
    expect(await candidates('u', closesAt - 1)).toEqual([]);
    expect(await candidates('u', closesAt)).toEqual(['u']);
  });

  it('subscribe: sets the level, answering what it was; pushes reach each connection at or above their level', async () => {
    const pages = await connected('u', 'pages');
    const status = await connected('u', 'status');
    const none = await connected('u', 'none');
    expect(await store.subscribe('u', status, now, 'status')).toEqual({ stored: true, verdict: 'ok', previous: 'default' });
    expect(await store.subscribe('u', none, now, 'none')).toEqual({ stored: true, verdict: 'ok', previous: 'default' });
    expect(await store.subscribe('u', pages, now, 'pages')).toEqual({ stored: true, verdict: 'ok', previous: 'default' });
    expect(await store.subscribe('u', pages, now, 'pages')).toEqual({ stored: true, verdict: 'ok', previous: 'pages' });
    expect(await store.subscribe('u', conn('unknown'), now, 'none')).toEqual({ stored: false, verdict: 'stale' });
    expect((await store.connectionsOf(['u'], now, 'pages')).get('u')).toEqual(['pages']);
    expect((await store.connectionsOf(['u'], now, 'status')).get('u')?.sort()).toEqual(['pages', 'status']);
    // Own echoes of an update go to the user's connections at pages only.
    const update = await store.updatePage('u', none, now + 1, page(1));
    expect(update.stored && update.fanOut?.ownConnections).toEqual(['pages']);
    // A subscribe is activity: it keeps a connection and its user from the sweep like a heartbeat.
    await store.subscribe('u', none, now + 100_000, 'status');
    expect(await candidates('u', now + 200_000)).toEqual([]);
  });

  it('updatePage: stores the page and the latest shared one; a hidden page keeps the latest; own connections come back', async () => {
    const c1 = await connected('u', 'c1');
    const c2 = conn('c2');
    await store.connect('u', c2, now);
    const first = await store.updatePage('u', c1, now, page(1));
    expect(first).toEqual({ stored: true, verdict: 'ok', fanOut: { page: page(1), latest: page(1), at: now, ownConnections: expect.any(Array) } });
    expect(first.stored && first.fanOut!.ownConnections.sort()).toEqual(['c1', 'c2']);
    expect(await store.releasePush('u', now, true)).toBeNull();
    const hidden = await store.updatePage('u', c2, now + 1, EMPTY);
    expect(hidden.stored && { page: hidden.fanOut!.page, latest: hidden.fanOut!.latest }).toEqual({ page: EMPTY, latest: page(1) });
    expect((await store.snapshot(['u'])).get('u')).toMatchObject({ page: EMPTY, latestPage: page(1), at: now + 1 });
    expect(await store.updatePage('u', conn('unknown'), now, page(2))).toEqual({ stored: false, verdict: 'stale' });
  });

  it('the push lease: pages stored while it is held are coalesced; the release hands over the latest, then nothing', async () => {
    const c1 = await connected('u', 'c1');
    const first = await store.updatePage('u', c1, now, page(1));
    expect(first.stored && first.fanOut?.page).toEqual(page(1));
    expect(await store.updatePage('u', c1, now + 1, page(2))).toEqual({ stored: true, verdict: 'ok', fanOut: null });
    expect(await store.updatePage('u', c1, now + 2, page(3))).toEqual({ stored: true, verdict: 'ok', fanOut: null });
    expect(await store.releasePush('u', now + 3, true)).toEqual({ page: page(3), latest: page(3), at: now + 2, ownConnections: ['c1'] });
    expect(await store.releasePush('u', now + 4, true)).toBeNull();
    expect(await store.claimDeferred(subject.shardOf('u'), now + 60 * MINUTE, 100)).toEqual([]);
  });

  it('claimDeferred: a fan-out whose pusher died is claimed once its lease expired, then released', async () => {
    const c1 = await connected('u', 'c1');
    await store.updatePage('u', c1, now, page(1)); // takes the lease, never releases
    await store.updatePage('u', c1, now + 1, page(2));
    const shard = subject.shardOf('u');
    expect(await store.claimDeferred(shard, now + 1000, 100)).toEqual([]);
    const due = now + timings.pushLeaseMs + 1;
    expect(await store.claimDeferred(shard, due, 100)).toEqual([
      { userId: 'u', page: page(2), latest: page(2), at: now + 1, ownConnections: ['c1'] },
    ]);
    expect(await store.claimDeferred(shard, due, 100)).toEqual([]); // claimed: its lease is held
    expect(await store.releasePush('u', due + 1, false)).toBeNull();
    expect(await store.claimDeferred(shard, due + 10 * timings.pushLeaseMs, 100)).toEqual([]);
  });

  it('the fan-out budget: over it, a page is deferred (due at once); users who went offline are dropped', async () => {
    use({ fanOutBurst: 2, fanOutIntervalMs: MINUTE }); // the came-online announcement and one update
    for (const userId of ['over', 'gone']) {
      const c1 = await connected(userId, 'c1');
      const first = await store.updatePage(userId, c1, now, page(1));
      expect(first.stored && first.fanOut).not.toBeNull();
      expect(await store.releasePush(userId, now, true)).toBeNull();
      expect(await store.updatePage(userId, c1, now + 1, page(2))).toEqual({ stored: true, verdict: 'ok', fanOut: null });
    }
    expect(await store.disconnect('gone', 'c1', now + 2, 0)).toBe('went-offline');
    const flushed = [];
    for (const shard of new Set([subject.shardOf('over'), subject.shardOf('gone')]))
      flushed.push(...(await store.claimDeferred(shard, now + 3, 100)));
    expect(flushed.map(({ userId, page }) => [userId, page.url])).toEqual([['over', page(2).url]]);
    expect(await store.releasePush('over', now + 4, true)).toBeNull(); // nothing newer was stored
  });

  it('the message budget: per connection and window; limited, closing, then closed (and dropped)', async () => {
    use({ messagesPerWindow: 2, messageWindowMs: MINUTE, floodCloseAfter: 2 });
    const c1 = await connected('u', 'c1');
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await store.heartbeat('u', c1, now + i));
    expect(verdicts).toEqual(['ok', 'ok', 'limited', 'close', 'closed']);
    expect((await store.snapshot(['u'])).get('u')!.lastActiveAt).toBe(now + 3);
    expect(await store.updatePage('u', c1, now + 10, page(1))).toEqual({ stored: false, verdict: 'closed' });
    expect(await store.subscribe('u', c1, now + 11, 'none')).toEqual({ stored: false, verdict: 'closed' });
    expect(await store.countMessage('u', 'c2')).toBe('ok');
    expect(await store.countMessage('u', 'c2')).toBe('ok');
    expect(await store.countMessage('u', 'c2')).toBe('limited');
    expect(await store.countMessage('u', 'c2')).toBe('close');
  });

  it('an update over the message budget is stored and deferred', async () => {
    use({ messagesPerWindow: 1, messageWindowMs: MINUTE, floodCloseAfter: 3 });
    const c1 = await connected('u', 'c1');
    expect(await store.heartbeat('u', c1, now)).toBe('ok');
    expect(await store.updatePage('u', c1, now + 1, page(1))).toEqual({ stored: true, verdict: 'limited', fanOut: null });
    expect(await store.updatePage('u', c1, now + 2, page(2))).toEqual({ stored: true, verdict: 'limited-quietly', fanOut: null });
    expect(await store.claimDeferred(subject.shardOf('u'), now + 3, 100)).toEqual([
      { userId: 'u', page: page(2), latest: page(2), at: now + 2, ownConnections: ['c1'] },
    ]);
  });

  it('disconnect: offline only with the last connection, pending until friends were told; a user it never knew is announced once', async () => {
    await connected('u', 'old');
    await connected('u', 'new');
    expect(await store.disconnect('u', 'old', now, 0)).toBe('unchanged');
    expect(await store.disconnect('u', 'old', now, 0)).toBe('unchanged');
    expect(await online('u')).toBe(true);
    expect(await store.disconnect('u', 'new', now + 10, 0)).toBe('went-offline');
    expect(await store.disconnect('u', 'new', now + 20, 0)).toBe('unchanged');
    expect((await store.snapshot(['u'])).get('u')).toEqual({
      online: false,
      lastActiveAt: null,
      page: null,
      latestPage: null,
      lastSeenAt: now + 10,
      at: now + 10,
    });
    expect(await store.pending(subject.shardOf('u'))).toEqual(new Map([['u', []]]));
    await store.friendsTold('u');
    expect(await store.pending(subject.shardOf('u'))).toEqual(new Map());

    expect(await store.disconnect('lost', 'c1', now, 0)).toBe('was-unknown');
    expect(await store.disconnect('lost', 'c1', now + 1, 0)).toBe('unchanged');
  });

  it('the offline grace: the last close leaves the user online until it ends; a return within it is no coming online', async () => {
    const grace = 30_000;
    const c1 = await connected('u', 'c1');
    await store.updatePage('u', c1, now, page(1));
    await store.releasePush('u', now, true);
    expect(await store.disconnect('u', 'c1', now + 1000, grace)).toBe('leaving');
    expect((await store.snapshot(['u'])).get('u')).toMatchObject({ online: true, page: page(1), lastActiveAt: now + 1000 });
    expect(await store.pending(subject.shardOf('u'))).toEqual(new Map());
    expect(await candidates('u', now + 1000 + grace - 1)).toEqual([]);
    // Back within the grace: still online, nobody is to be told anything.
    const { cameOnline, fanOut } = await store.connect('u', conn('c2', now + 5000), now + 5000);
    expect({ cameOnline, fanOut }).toEqual({ cameOnline: false, fanOut: null });
    expect(await candidates('u', now + 1000 + grace)).toEqual([]);
    // Gone for good: due when the grace ends, claimed by the sweep, seen when the last connection closed.
    expect(await store.disconnect('u', 'c2', now + 6000, grace)).toBe('leaving');
    expect(await candidates('u', now + 6000 + grace)).toEqual(['u']);
    const shard = subject.shardOf('u');
    expect(await store.claimStale(shard, ['u'], now + 6000 + grace)).toEqual(new Map([['u', []]]));
    expect((await store.snapshot(['u'])).get('u')).toMatchObject({ online: false, lastSeenAt: now + 6000, at: now + 6000 });
  });

  it('removeConnections: exactly the gone ones, never one still in its handshake', async () => {
    const settled = now - HANDSHAKE_GRACE_MS - 1000;
    await store.connect('u', conn('dead', settled), now);
    await store.connect('u', conn('live', settled), now);
    await store.connect('u', conn('connecting'), now);
    await store.removeConnections(
      ['dead', 'never-existed', 'connecting'].map((connectionId) => ({ userId: 'u', connectionId })),
      now,
    );
    expect((await store.connectionsOf(['u', 'offline'], now, 'pages')).get('u')?.sort()).toEqual(['connecting', 'live']);
    expect((await store.connectionsOf(['u', 'offline'], now, 'status')).has('offline')).toBe(false);
  });

  it('the sweep: candidates earliest due first; the claim re-checks staleness; pending entries are compared before they are cleared', async () => {
    const shard = subject.shardOf('stale-0');
    const users: string[] = [];
    for (let i = 0; users.length < 3; i++) if (subject.shardOf(`stale-${i}`) === shard) users.push(`stale-${i}`);
    const [refreshed, claimed, other] = users as [string, string, string];
    const connections = new Map<string, ConnectionActivity>();
    for (const userId of users) connections.set(userId, await connected(userId, `c-${userId}`));
    for (const [i, userId] of users.entries()) await subject.setLastActive(userId, now - 1000 * (i + 1));
    const found = await store.staleCandidates(shard, now, 100);
    expect(found).toEqual([other, claimed, refreshed]);
    expect(await store.staleCandidates(shard, now, 1)).toEqual([other]);

    await store.heartbeat(refreshed, connections.get(refreshed)!, now); // between the scan and the claim
    const pending = await store.claimStale(shard, found, now);
    expect(pending).toEqual(
      new Map([
        [claimed, [`c-${claimed}`]],
        [other, [`c-${other}`]],
      ]),
    );
    expect(await online(refreshed)).toBe(true);
    expect((await store.snapshot([claimed])).get(claimed)).toMatchObject({ online: false, lastSeenAt: now - 2000 });
    expect(await store.heartbeat(claimed, connections.get(claimed)!, now)).toBe('stale');
    expect(await store.claimStale(shard, [], now)).toEqual(pending); // a retried task finds them
    expect(await store.pending(shard)).toEqual(pending);

    await connected(claimed, `c-${claimed}-new`);
    expect(await store.onlineAmong(shard, [...pending.keys()])).toEqual(new Set([claimed]));
    await store.clearPending(shard, new Map([[claimed, ['something-else']]]));
    expect((await store.pending(shard)).has(claimed)).toBe(true); // replaced meanwhile: kept
    await store.clearPending(shard, pending);
    expect(await store.pending(shard)).toEqual(new Map());
  });

  it('the sweep backstop: a user with no due time is stale once silent for the longest allowance', async () => {
    const c1 = await connected('u', 'c1');
    await store.heartbeat('u', c1, now);
    await subject.forgetDue('u');
    const longest = timings.maxAllowanceMs;
    expect(await candidates('u', now + longest - 1)).toEqual([]);
    expect(await store.claimStale(subject.shardOf('u'), ['u'], now + longest - 1)).toEqual(new Map());
    expect(await candidates('u', now + longest)).toEqual(['u']);
    expect(await store.claimStale(subject.shardOf('u'), ['u'], now + longest)).toEqual(new Map([['u', ['c1']]]));
  });

  it('snapshot: every asked user, online with page and activity, offline with when they were last seen', async () => {
    const c1 = await connected('on', 'c1');
    await store.updatePage('on', c1, now + 1, page(1));
    await connected('off', 'c2');
    await store.disconnect('off', 'c2', now + 2, 0);
    const snapshot = await store.snapshot(['on', 'off', 'never']);
    expect(snapshot).toEqual(
      new Map([
        ['on', { online: true, lastActiveAt: now + 1, page: page(1), latestPage: page(1), lastSeenAt: null, at: now + 1 }],
        ['off', { online: false, lastActiveAt: null, page: null, latestPage: null, lastSeenAt: now + 2, at: now + 2 }],
        ['never', { online: false, lastActiveAt: null, page: null, latestPage: null, lastSeenAt: null, at: 0 }],
      ]),
    );
  });
});
