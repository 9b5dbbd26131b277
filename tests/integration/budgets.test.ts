/**
 * The budgets that bound what one client can make the service do, through the real handlers (real
 * Redis, PostgreSQL and HTTP management API): a per-connection message budget (error frame, then
 * closed), and a per-user fan-out budget under which nothing is lost: every page is stored at once,
 * and friends get the latest one, in order, from the pusher or from the next sweep.
 */
import type { Pool } from 'pg';
import { befriend, createPool, resetTables, seedUsers } from '../support/db';
import { HandlerHarness } from '../support/handler-harness';

const SHARDS = 4;

interface Frame {
  type: string;
  userId?: string;
  url?: string;
  message?: string;
}

describe('budgets (message budget per connection, fan-out budget per user)', () => {
  const harness = new HandlerHarness('budgets', {
    STATUS_SHARDS: String(SHARDS),
    MESSAGE_RATE_LIMIT: '5',
    MESSAGE_RATE_WINDOW_SECONDS: '60',
    FLOOD_CLOSE_AFTER: '3',
    // Three fan-outs at once: the came-online announcement of $connect and two updates.
    FANOUT_BURST: '3',
    FANOUT_INTERVAL_MS: '60000',
  });
  let pool: Pool;

  beforeAll(async () => {
    await harness.start();
    pool = createPool();
  });

  afterAll(async () => {
    await harness.close();
    await pool.end();
  });

  beforeEach(async () => {
    await harness.resetRedis();
    await resetTables(pool);
    await seedUsers(pool, ['alice', 'bob', 'carol']);
    await befriend(pool, 'alice', 'bob');
    harness.connections.clearAll();
  });

  let counter = 0;
  const id = (name: string) => `${name}-${++counter}=`;
  const frames = (connectionId: string) => harness.connections.frames(connectionId) as Frame[];
  const url = (i: number) => `https://example.com/page/${i}`;
  const sweepAll = async () => {
    for (let shard = 0; shard < SHARDS; shard++) await harness.sweep(shard);
  };
  const pageSeenByFriends = async (userId: string) => {
    const snapshot = JSON.parse((await harness.getPresence('bob')).body) as { presenceArr: { userId: string; page: { url: string } | null }[] };
    return snapshot.presenceArr.find((entry) => entry.userId === userId)?.page;
  };

  describe('per connection', () => {
    it('answers the first message over the budget with rate-limited, closes the connection once it keeps flooding, then drops', async () => {
      const alice = id('alice');
      await harness.connect('alice', alice);
      for (let i = 0; i < 5; i++) await harness.heartbeat('alice', alice);
      expect(frames(alice)).toEqual([]);

      await harness.heartbeat('alice', alice); // 1 over
      expect(frames(alice)).toEqual([{ type: 'error', message: 'rate-limited' }]);
      await harness.heartbeat('alice', alice); // 2 over: quietly
      expect(frames(alice)).toHaveLength(1);
      expect(harness.connections.isOpen(alice)).toBe(true);

      await harness.heartbeat('alice', alice); // 3 over: the connection is closed
      expect(frames(alice)).toEqual([]); // its inbox went with it
      expect(harness.connections.closed).toEqual([alice]);
      const postsBefore = harness.connections.posts;
      for (let i = 0; i < 5; i++) await harness.heartbeat('alice', alice);
      expect(harness.connections.posts).toBe(postsBefore); // dropped: no frames, no closes
      expect(harness.connections.closed).toEqual([alice]);
    });

    it('counts every kind of message, and a new connection starts with a fresh budget', async () => {
      const [first, second] = [id('alice'), id('alice')];
      await harness.connect('alice', first);
      await harness.connect('alice', second);
      await harness.heartbeat('alice', first);
      await harness.update('alice', first, { url: url(1), title: '1' });
      await harness.sendDefault('alice', first, '{"action":"nope"}');
      await harness.sendDefault('alice', first, 'not json');
      await harness.heartbeat('alice', first);
      harness.connections.take(first);
      await harness.heartbeat('alice', first);
      expect(frames(first)).toEqual([{ type: 'error', message: 'rate-limited' }]);
      await harness.heartbeat('alice', second);
      expect(frames(second).filter((frame) => frame.type === 'error')).toEqual([]);
    });

    it('stores an update over the message budget and delivers it with the next sweep', async () => {
      const [alice, bob] = [id('alice'), id('bob')];
      await harness.connect('alice', alice);
      await harness.connect('bob', bob);
      for (let i = 0; i < 4; i++) await harness.heartbeat('alice', alice);
      await harness.update('alice', alice, { url: url(1), title: '1' }); // the 5th message: within
      await harness.update('alice', alice, { url: url(2), title: '2' }); // over the message budget
      expect(frames(alice).filter((frame) => frame.type === 'error')).toEqual([{ type: 'error', message: 'rate-limited' }]);
      expect(frames(bob).map((frame) => frame.url)).toEqual([url(1)]);
      expect((await pageSeenByFriends('alice'))?.url).toBe(url(2));
      await sweepAll();
      expect(frames(bob).map((frame) => frame.url)).toEqual([url(1), url(2)]);
    });
  });

  describe('per user fan-out', () => {
    it('pushes a burst, stores everything after it at once, and sends only the latest page with the next sweep', async () => {
      const [alice, bob, phone] = [id('alice'), id('bob'), id('alice-phone')];
      await harness.connect('alice', alice);
      await harness.connect('alice', phone);
      await harness.connect('bob', bob);
      for (let i = 1; i <= 4; i++) expect((await harness.update('alice', alice, { url: url(i), title: String(i) })).statusCode).toBe(200);
      expect(frames(bob).map((frame) => frame.url)).toEqual([url(1), url(2)]);
      expect((await pageSeenByFriends('alice'))?.url).toBe(url(4));

      await sweepAll();
      expect(frames(bob).map((frame) => frame.url)).toEqual([url(1), url(2), url(4)]);
      expect(frames(phone).filter((frame) => frame.userId === 'alice').map((frame) => frame.url)).toEqual([url(1), url(2), url(4)]); // own devices too
      await sweepAll();
      expect(frames(bob)).toHaveLength(3); // flushed once
    });

    it('never pushes pages of one user concurrently: the one in flight goes first, then only the latest', async () => {
      const [alice, bob] = [id('alice'), id('bob')];
      await harness.connect('alice', alice);
      await harness.connect('bob', bob);
      // All start together: the first takes the push lease, the others find it held and are coalesced.
      await Promise.all([1, 2, 3].map((i) => harness.update('alice', alice, { url: url(i), title: String(i) })));
      const urls = frames(bob).map((frame) => frame.url);
      expect(urls[0]).toBe(url(1));
      expect(urls[urls.length - 1]).toBe(url(3));
      expect(urls).toHaveLength(2); // the pusher's release sent the latest with the second token
    });

    it('forgets deferred pages of a user who went offline', async () => {
      const [alice, bob] = [id('alice'), id('bob')];
      await harness.connect('alice', alice);
      await harness.connect('bob', bob);
      for (let i = 1; i <= 3; i++) await harness.update('alice', alice, { url: url(i), title: String(i) });
      await harness.disconnect('alice', alice);
      harness.connections.take(bob);
      await sweepAll();
      expect(frames(bob)).toEqual([]);
    });
  });
});
