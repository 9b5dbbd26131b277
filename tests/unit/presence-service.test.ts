/**
 * PresenceService's rules on in-memory fakes of its ports (tests/support/fakes): no Redis, no
 * PostgreSQL, no HTTP. tests/integration/ runs the same service on the real adapters.
 */
import { ForbiddenError, RateLimitedError, ServiceUnavailableError, StaleConnectionError } from '../../layers/core/errors';
import { logger } from '../../layers/core/logger';
import type { SharingSettings } from '../../layers/core/model';
import { fakeCore, MINUTE, type FakeCore, type FakeCoreOptions } from '../support/fakes/core';

interface Frame {
  type: string;
  userId?: string;
  url?: string;
  title?: string;
  domain?: string;
  latestUrl?: string;
  message?: string;
  level?: string;
  at?: number;
  part?: number;
  parts?: number;
  userPresence?: { userId: string };
  presenceArr?: { userId: string; at: number }[];
}

const SHARE_ALL: SharingSettings = { shareMode: 'default_all', domainAllow: [], domainDeny: [] };
const EMPTY = { url: '', title: '', domain: '' };
const url = (i: number) => `https://example.com/page/${i}`;

describe('PresenceService (on fakes)', () => {
  let core: FakeCore;
  const frames = (connectionId: string) => core.gateway.frames(connectionId) as Frame[];
  const updates = (connectionId: string) => frames(connectionId).filter((frame) => frame.type === 'update-presence');
  const urls = (connectionId: string) => updates(connectionId).map((frame) => frame.url);
  const timeouts = (connectionId: string) => frames(connectionId).filter((frame) => frame.type === 'presence-timeout');
  const clearFrames = () => core.gateway.sockets.clearAll();
  const presenceOf = async (userId: string) => (await core.store.snapshot([userId])).get(userId)!;

  /** alice (shares everything) is friends with bob and carol; dave is nobody's friend. */
  function setUp(options: FakeCoreOptions = {}): void {
    core = fakeCore(options);
    core.directory.addUsers(['alice'], SHARE_ALL).addUsers(['bob', 'carol', 'dave']).befriend(['alice', 'bob'], ['alice', 'carol']);
  }

  beforeEach(() => setUp());
  afterEach(() => jest.restoreAllMocks());

  describe('came online', () => {
    it('announces a user who came online to every connection of every online friend, with no page shared yet', async () => {
      await core.connect('bob', 'b1');
      await core.connect('bob', 'b2');
      clearFrames();

      expect(await core.connect('alice', 'a1')).toEqual({ cameOnline: true, sent: 2 });

      const announcement = { type: 'update-presence', userId: 'alice', ...EMPTY, latestUrl: '', latestTitle: '', latestDomain: '', at: core.clock.now() };
      expect(frames('b1')).toEqual([announcement]);
      expect(frames('b2')).toEqual([announcement]);
      expect(frames('a1')).toEqual([]); // the new connection is still in its handshake: no target
    });

    it('a second device of a user already online announces nothing', async () => {
      await core.connect('bob', 'b1');
      await core.connect('alice', 'a1');
      clearFrames();
      expect(await core.connect('alice', 'a2')).toEqual({ cameOnline: false, sent: 0 });
      expect(frames('b1')).toEqual([]);
    });

    it('never refuses a connection because the announcement failed: the sweep sends it once the lease expires', async () => {
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      await core.connect('bob', 'b1');
      core.directory.down();

      expect(await core.connect('alice', 'a1')).toEqual({ cameOnline: true, sent: 0 });
      expect(warn).toHaveBeenCalledWith('came-online push failed; the sweep sends it', expect.objectContaining({ userId: 'alice' }));
      expect(frames('b1')).toEqual([]);

      core.directory.up();
      await core.sweepAll();
      expect(frames('b1')).toEqual([]); // the lease is still held by the connect that failed
      core.clock.advance(core.pushLeaseMs + 1);
      await core.sweepAll();
      expect(updates('b1')).toEqual([expect.objectContaining({ userId: 'alice', url: '', latestUrl: '' })]);
    });
  });

  describe('several devices', () => {
    it("sends an update to every friend's connection and to the user's own devices", async () => {
      await core.connect('alice', 'a1');
      await core.connect('alice', 'a2');
      await core.connect('bob', 'b1');
      await core.connect('carol', 'c1');
      await core.connect('dave', 'd1');
      clearFrames();

      expect(await core.service.updatePresence('alice', core.connection('a1'), 'https://www.bbc.co.uk/news', 'News')).toEqual({ sent: 4, deferred: false });

      const update = { type: 'update-presence', userId: 'alice', url: 'https://www.bbc.co.uk/news', title: 'News', domain: 'bbc.co.uk' };
      for (const connectionId of ['a1', 'a2', 'b1', 'c1']) expect(updates(connectionId)).toEqual([expect.objectContaining(update)]);
      expect(frames('d1')).toEqual([]);
    });

    it('goes offline only with the last connection; a late disconnect of an old one changes nothing', async () => {
      await core.connect('alice', 'a1');
      await core.connect('alice', 'a2');
      await core.connect('bob', 'b1');
      clearFrames();

      expect(await core.service.disconnect('alice', 'a1')).toEqual({ wentOffline: false, leaving: false, sent: 0 });
      expect(await core.service.disconnect('alice', 'a1')).toEqual({ wentOffline: false, leaving: false, sent: 0 });
      expect(timeouts('b1')).toEqual([]);
      expect((await presenceOf('alice')).online).toBe(true);

      const wentOfflineAt = core.clock.advance(1000);
      expect(await core.service.disconnect('alice', 'a2')).toEqual({ wentOffline: true, leaving: false, sent: 1 });
      expect(timeouts('b1')).toEqual([{ type: 'presence-timeout', userId: 'alice', at: expect.any(Number) }]);
      expect(await presenceOf('alice')).toMatchObject({ online: false, page: null, lastSeenAt: wentOfflineAt });
      expect(await core.service.disconnect('alice', 'a2')).toEqual({ wentOffline: false, leaving: false, sent: 0 });
      expect(timeouts('b1')).toHaveLength(1);
    });
  });

  describe('privacy', () => {
    it('applies the sharing rules before storing or sending: a page not shared is stored and sent as an empty page', async () => {
      core.directory.share('alice', { shareMode: 'default_none', domainAllow: ['example.com'], domainDeny: [] });
      await core.connect('alice', 'a1');
      await core.connect('bob', 'b1');
      clearFrames();

      await core.service.updatePresence('alice', core.connection('a1'), 'https://secret.org/diagnosis', 'Diagnosis');
      expect(updates('b1')).toEqual([expect.objectContaining({ ...EMPTY, latestUrl: '' })]);
      expect(await presenceOf('alice')).toMatchObject({ page: EMPTY, latestPage: null });

      await core.service.updatePresence('alice', core.connection('a1'), 'https://www.example.com/a', 'A');
      expect(updates('b1')[1]).toMatchObject({ url: 'https://www.example.com/a', domain: 'example.com' });
    });

    it('a user the directory does not know shares nothing', async () => {
      core.directory.befriend(['stranger', 'bob']);
      await core.connect('stranger', 's1');
      await core.connect('bob', 'b1');
      clearFrames();
      await core.service.updatePresence('stranger', core.connection('s1'), url(1), 'one');
      expect(updates('b1')).toEqual([expect.objectContaining({ userId: 'stranger', ...EMPTY })]);
    });

    it('keeps the latest shared page when a hidden page or an empty url follows', async () => {
      core.directory.share('alice', { shareMode: 'default_all', domainAllow: [], domainDeny: ['bank.com'] });
      await core.connect('alice', 'a1');
      await core.connect('bob', 'b1');
      clearFrames();

      await core.service.updatePresence('alice', core.connection('a1'), url(1), 'one');
      await core.service.updatePresence('alice', core.connection('a1'), 'https://login.bank.com/', 'Bank');
      await core.service.updatePresence('alice', core.connection('a1'), '', '');

      expect(updates('b1').map(({ url, latestUrl }) => [url, latestUrl])).toEqual([
        [url(1), url(1)],
        ['', url(1)],
        ['', url(1)],
      ]);
      const { presenceArr } = await core.service.snapshot('bob');
      expect(presenceArr.find((entry) => entry.userId === 'alice')).toMatchObject({
        page: EMPTY,
        latestPage: { url: url(1), title: 'one', domain: 'example.com' },
      });
    });
  });

  describe('connections API Gateway reports gone (410)', () => {
    it('removes them and keeps pushing to the rest', async () => {
      await core.connect('alice', 'a1');
      await core.connect('bob', 'b-live', 5 * MINUTE);
      await core.service.connect('bob', { ...core.connection('b-dead'), connectedAt: core.clock.now() - 5 * MINUTE }); // its socket is gone at API Gateway
      clearFrames();

      expect(await core.service.updatePresence('alice', core.connection('a1'), url(1), 'one')).toEqual({ sent: 2, deferred: false });
      expect((await core.store.connectionsOf(['bob'], core.clock.now(), 'pages')).get('bob')).toEqual(['b-live']);

      const posts = core.gateway.sockets.posts;
      await core.service.updatePresence('alice', core.connection('a1'), url(2), 'two');
      expect(core.gateway.sockets.posts - posts).toBe(2); // a1 and b-live: the gone one is no target any more
    });

    it('spares a connection still in its handshake (API Gateway answers 410 for it too)', async () => {
      await core.connect('alice', 'a1');
      await core.service.connect('bob', { ...core.connection('b-connecting'), connectedAt: core.clock.now() });
      await core.service.updatePresence('alice', core.connection('a1'), url(1), 'one');
      expect((await core.store.connectionsOf(['bob'], core.clock.now(), 'pages')).get('bob')).toEqual(['b-connecting']);
    });

    it('logs any other failed push and keeps the connection', async () => {
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      await core.connect('alice', 'a1');
      await core.connect('bob', 'b1', 5 * MINUTE);
      core.gateway.fail('b1');

      expect(await core.service.updatePresence('alice', core.connection('a1'), url(1), 'one')).toEqual({ sent: 1, deferred: false });
      expect(warn).toHaveBeenCalledWith('push failed', expect.objectContaining({ connectionId: 'b1', userId: 'bob' }));
      expect((await core.store.connectionsOf(['bob'], core.clock.now(), 'pages')).get('bob')).toEqual(['b1']);
    });
  });

  describe('budgets', () => {
    it('answers the first message over the budget with rate-limited, closes a flooder, then drops its messages', async () => {
      setUp({ limits: { messagesPerWindow: 3, floodCloseAfter: 3 } });
      await core.connect('alice', 'a1');
      const beat = () => core.service.heartbeat('alice', core.connection('a1'));
      for (let i = 0; i < 3; i++) await beat();

      await expect(beat()).rejects.toEqual(new RateLimitedError(false)); // 1 over: the client is told
      await expect(beat()).resolves.toBeUndefined(); // 2 over: quietly
      const closedAt = core.clock.advance(1000);
      await expect(beat()).rejects.toEqual(new RateLimitedError(true)); // 3 over: the connection is closed
      await expect(beat()).resolves.toBeUndefined(); // after that: dropped quietly
      expect((await presenceOf('alice')).lastActiveAt).toBe(closedAt);
      core.clock.advance(1000);
      await beat();
      expect((await presenceOf('alice')).lastActiveAt).toBe(closedAt); // a dropped message changes nothing
    });

    it('counts frames no route matched against the same budget, per connection', async () => {
      setUp({ limits: { messagesPerWindow: 2, floodCloseAfter: 5 } });
      await core.connect('alice', 'a1');
      await core.connect('alice', 'a2');
      await core.service.heartbeat('alice', core.connection('a1'));
      expect(await core.service.countMessage('alice', 'a1')).toBe('ok');
      await expect(core.service.countMessage('alice', 'a1')).rejects.toEqual(new RateLimitedError(false));
      expect(await core.service.countMessage('alice', 'a1')).toBe('limited-quietly');
      expect(await core.service.countMessage('alice', 'a2')).toBe('ok');
    });

    it('a new message window starts a fresh budget', async () => {
      setUp({ limits: { messagesPerWindow: 1, messageWindowMs: 10_000, floodCloseAfter: 5 } });
      await core.connect('alice', 'a1');
      await core.service.heartbeat('alice', core.connection('a1'));
      await expect(core.service.heartbeat('alice', core.connection('a1'))).rejects.toBeInstanceOf(RateLimitedError);
      core.clock.advance(10_000);
      await expect(core.service.heartbeat('alice', core.connection('a1'))).resolves.toBeUndefined();
    });

    it('stores an update over the message budget and leaves its fan-out to the sweep', async () => {
      setUp({ limits: { messagesPerWindow: 2, floodCloseAfter: 5 } });
      await core.connect('alice', 'a1');
      await core.connect('bob', 'b1');
      clearFrames();
      await core.service.updatePresence('alice', core.connection('a1'), url(1), 'one');
      await core.service.updatePresence('alice', core.connection('a1'), url(2), 'two');
      await expect(core.service.updatePresence('alice', core.connection('a1'), url(3), 'three')).rejects.toEqual(new RateLimitedError(false));

      expect(urls('b1')).toEqual([url(1), url(2)]);
      expect((await presenceOf('alice')).page?.url).toBe(url(3));
      await core.sweepAll();
      expect(urls('b1')).toEqual([url(1), url(2), url(3)]);
    });

    it('over the fan-out budget, stores every page at once and sends only the latest with the next sweep, to own devices too', async () => {
      // Three fan-outs at once: the came-online announcement and two updates.
      setUp({ limits: { fanOutBurst: 3, fanOutIntervalMs: MINUTE } });
      await core.connect('alice', 'a1');
      await core.connect('alice', 'phone');
      await core.connect('bob', 'b1');
      clearFrames();

      const results = [];
      for (let i = 1; i <= 4; i++) results.push(await core.service.updatePresence('alice', core.connection('a1'), url(i), String(i)));
      expect(results.map((result) => result.deferred)).toEqual([false, false, true, true]);
      expect(urls('b1')).toEqual([url(1), url(2)]);
      expect((await presenceOf('alice')).page?.url).toBe(url(4));

      await core.sweepAll();
      expect(urls('b1')).toEqual([url(1), url(2), url(4)]);
      expect(urls('phone')).toEqual([url(1), url(2), url(4)]);
      await core.sweepAll();
      expect(urls('b1')).toHaveLength(3); // flushed once
    });

    it('never pushes two pages of a user at once: pages stored meanwhile are coalesced, and the latest follows, in order', async () => {
      await core.connect('alice', 'a1');
      await core.connect('bob', 'b1');
      clearFrames();
      const release = core.gateway.hold();

      const first = core.service.updatePresence('alice', core.connection('a1'), url(1), 'one');
      while (core.gateway.waiting === 0) await new Promise((resolve) => setImmediate(resolve)); // its pushes are in flight
      expect(await core.service.updatePresence('alice', core.connection('a1'), url(2), 'two')).toEqual({ sent: 0, deferred: true });
      expect(await core.service.updatePresence('alice', core.connection('a1'), url(3), 'three')).toEqual({ sent: 0, deferred: true });
      release();

      expect(await first).toEqual({ sent: 4, deferred: false }); // page 1, then page 3, to a1 and b1
      expect(urls('b1')).toEqual([url(1), url(3)]);
      expect(urls('a1')).toEqual([url(1), url(3)]);
      await core.sweepAll();
      expect(urls('b1')).toHaveLength(2); // nothing left for the sweep
    });

    it('forgets the deferred pages of a user who went offline', async () => {
      setUp({ limits: { fanOutBurst: 2, fanOutIntervalMs: MINUTE } });
      await core.connect('alice', 'a1');
      await core.connect('bob', 'b1');
      for (let i = 1; i <= 3; i++) await core.service.updatePresence('alice', core.connection('a1'), url(i), String(i));
      await core.service.disconnect('alice', 'a1');
      clearFrames();
      await core.sweepAll();
      expect(frames('b1')).toEqual([]);
    });
  });

  describe('connections that are not registered', () => {
    it('ask the client to reconnect, and change nothing', async () => {
      await core.connect('bob', 'b1');
      clearFrames();
      await expect(core.service.heartbeat('alice', core.connection('nope'))).rejects.toBeInstanceOf(StaleConnectionError);
      await expect(core.service.updatePresence('alice', core.connection('nope'), url(1), 'one')).rejects.toBeInstanceOf(StaleConnectionError);
      expect((await presenceOf('alice')).online).toBe(false);
      expect(frames('b1')).toEqual([]);
    });
  });

  describe('disconnect', () => {
    it('ends the pending entry once friends were told', async () => {
      await core.connect('alice', 'a1');
      await core.service.disconnect('alice', 'a1');
      expect((await core.store.pending(core.store.shardOf('alice'))).has('alice')).toBe(false);
    });

    it('leaves the user pending when friends cannot be told; the sweep tells them', async () => {
      await core.connect('alice', 'a1');
      await core.connect('bob', 'b1');
      clearFrames();
      core.directory.down();

      await expect(core.service.disconnect('alice', 'a1')).rejects.toBeInstanceOf(ServiceUnavailableError);
      const shard = core.store.shardOf('alice');
      expect(await core.store.pending(shard)).toEqual(new Map([['alice', []]]));
      expect(timeouts('b1')).toEqual([]);

      core.directory.up();
      expect(await core.sweeper.sweepBatch(shard)).toMatchObject({ processed: 1, timedOut: 1, notifications: 1 });
      expect(timeouts('b1')).toEqual([{ type: 'presence-timeout', userId: 'alice', at: expect.any(Number) }]);
      expect((await core.store.pending(shard)).size).toBe(0);
    });

    it('announces a user the store knew nothing about (its data was lost), once', async () => {
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      await core.connect('bob', 'b1');
      clearFrames();
      expect(await core.service.disconnect('alice', 'a-before-the-loss')).toEqual({ wentOffline: true, leaving: false, sent: 1 });
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('did not know a user who disconnected'), { userId: 'alice' });
      expect(timeouts('b1')).toEqual([{ type: 'presence-timeout', userId: 'alice', at: expect.any(Number) }]);
      expect(await core.service.disconnect('alice', 'a-before-the-loss')).toEqual({ wentOffline: false, leaving: false, sent: 0 });
    });
  });

  describe('subscription levels', () => {
    it('pushes page changes to pages, came-online and presence-timeout to pages and status, nothing to none', async () => {
      for (const id of ['b-pages', 'b-status', 'b-none']) await core.connect('bob', id);
      await core.service.subscribe('bob', core.connection('b-status'), 'status');
      await core.service.subscribe('bob', core.connection('b-none'), 'none');
      clearFrames();

      await core.connect('alice', 'a1');
      await core.service.updatePresence('alice', core.connection('a1'), url(1), 'one');
      await core.service.disconnect('alice', 'a1');

      expect(frames('b-pages').map((frame) => [frame.type, frame.url])).toEqual([
        ['update-presence', ''],
        ['update-presence', url(1)],
        ['presence-timeout', undefined],
      ]);
      expect(frames('b-status').map((frame) => [frame.type, frame.url])).toEqual([
        ['update-presence', ''],
        ['presence-timeout', undefined],
      ]);
      expect(frames('b-none')).toEqual([]);
    });

    it("echoes a user's own update only to their connections at pages", async () => {
      await core.connect('alice', 'a-pages');
      await core.connect('alice', 'a-status');
      await core.service.subscribe('alice', core.connection('a-status'), 'status');
      clearFrames();
      await core.service.updatePresence('alice', core.connection('a-status'), url(1), 'one');
      expect(urls('a-pages')).toEqual([url(1)]);
      expect(frames('a-status')).toEqual([]);
    });

    it('answers subscribed; a raised level (or the first subscribe) gets a snapshot equal to GET /presence, before later pushes', async () => {
      await core.connect('carol', 'c1');
      await core.service.updatePresence('carol', core.connection('c1'), url(7), 'seven');
      await core.connect('alice', 'a1');
      clearFrames();

      expect(await core.service.subscribe('alice', core.connection('a1'), 'status')).toEqual({ level: 'status', snapshotFrames: 1 });
      const [subscribed, snapshot] = frames('a1');
      expect(subscribed).toEqual({ type: 'subscribed', level: 'status' });
      expect(snapshot).toMatchObject({ type: 'presence-snapshot', part: 1, parts: 1 });
      const rest = await core.service.snapshot('alice');
      expect({ userPresence: snapshot!.userPresence, presenceArr: snapshot!.presenceArr }).toEqual({
        userPresence: rest.userPresence,
        presenceArr: rest.presenceArr,
      });

      clearFrames();
      expect(await core.service.subscribe('alice', core.connection('a1'), 'none')).toEqual({ level: 'none', snapshotFrames: 0 });
      expect(await core.service.subscribe('alice', core.connection('a1'), 'none')).toEqual({ level: 'none', snapshotFrames: 0 });
      expect(frames('a1')).toEqual([
        { type: 'subscribed', level: 'none' },
        { type: 'subscribed', level: 'none' },
      ]);
      clearFrames();
      expect(await core.service.subscribe('alice', core.connection('a1'), 'pages')).toEqual({ level: 'pages', snapshotFrames: 1 });
      expect(frames('a1').map((frame) => frame.type)).toEqual(['subscribed', 'presence-snapshot']);
      // The snapshot carries carol's page with the time it was stored: a push that overtook it is no older.
      const carol = frames('a1')[1]!.presenceArr!.find((entry) => entry.userId === 'carol')!;
      expect(carol.at).toBe(core.clock.now());
    });

    it('refuses a subscribe on a connection that is not registered (reconnect) and counts it against the budget', async () => {
      await expect(core.service.subscribe('alice', core.connection('ghost'), 'pages')).rejects.toBeInstanceOf(StaleConnectionError);
      setUp({ limits: { messagesPerWindow: 1, floodCloseAfter: 5 } });
      await core.connect('alice', 'a1');
      await core.service.heartbeat('alice', core.connection('a1'));
      await expect(core.service.subscribe('alice', core.connection('a1'), 'status')).rejects.toBeInstanceOf(RateLimitedError);
    });
  });

  describe('negotiated heartbeat', () => {
    it("keeps a connection with a 300 s heartbeat online for its allowance (2 x 300 + 30 s), then the sweep times it out", async () => {
      await core.connect('bob', 'b1', 0, 24 * 60 * 60_000); // bob never goes stale here
      await core.connect('alice', 'a1', 0, (2 * 300 + 30) * 1000);
      clearFrames();
      core.clock.advance(200_000);
      await core.sweepAll();
      expect((await presenceOf('alice')).online).toBe(true);
      core.clock.advance(430_000);
      await core.sweepAll();
      expect((await presenceOf('alice')).online).toBe(false);
      expect(timeouts('b1')).toHaveLength(1);
    });
  });

  describe('offline grace', () => {
    beforeEach(() => setUp({ offlineGraceMs: 30_000 }));

    it('a reconnect within the grace sends friends nothing at all', async () => {
      await core.connect('bob', 'b1');
      await core.connect('alice', 'a1');
      clearFrames();
      expect(await core.service.disconnect('alice', 'a1')).toEqual({ wentOffline: false, leaving: true, sent: 0 });
      core.clock.advance(5_000);
      expect(await core.connect('alice', 'a2')).toEqual({ cameOnline: false, sent: 0 });
      core.clock.advance(60_000);
      await core.sweepAll();
      expect(frames('b1')).toEqual([]);
      expect((await presenceOf('alice')).online).toBe(true);
    });

    it('a departure is announced once by the sweep after the grace, and only then', async () => {
      await core.connect('bob', 'b1');
      await core.connect('alice', 'a1');
      clearFrames();
      await core.service.disconnect('alice', 'a1');
      core.clock.advance(29_000);
      await core.sweepAll();
      expect(timeouts('b1')).toEqual([]);
      core.clock.advance(1_000);
      await core.sweepAll();
      await core.sweepAll();
      expect(timeouts('b1')).toEqual([{ type: 'presence-timeout', userId: 'alice', at: core.clock.now() }]);
      // Back after the grace: a came-online push, as for any new session.
      await core.connect('alice', 'a2');
      expect(updates('b1').map((frame) => frame.userId)).toEqual(['alice']);
    });
  });

  describe('reads', () => {
    it('snapshot: the caller, every friend (online with their page, offline with when) and their profiles', async () => {
      await core.connect('carol', 'c1');
      const carolLeft = core.clock.advance(1000);
      await core.service.disconnect('carol', 'c1');
      await core.connect('alice', 'a1');
      await core.service.updatePresence('alice', core.connection('a1'), url(1), 'one');
      const aliceActive = core.clock.now();

      const snapshot = await core.service.snapshot('alice');

      expect(snapshot.userPresence).toEqual({
        userId: 'alice',
        page: { url: url(1), title: 'one', domain: 'example.com' },
        latestPage: { url: url(1), title: 'one', domain: 'example.com' },
        lastActiveAt: new Date(aliceActive).toISOString(),
        lastSeenAt: null,
        at: aliceActive,
      });
      expect(snapshot.presenceArr.sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
        { userId: 'bob', page: null, latestPage: null, lastActiveAt: null, lastSeenAt: null, at: 0 },
        { userId: 'carol', page: null, latestPage: null, lastActiveAt: null, lastSeenAt: new Date(carolLeft).toISOString(), at: carolLeft },
      ]);
      expect(Object.keys(snapshot.userInfoMap).sort()).toEqual(['alice', 'bob', 'carol']);
      expect(snapshot.userInfoMap.bob).toEqual({ user_id: 'bob', first_name: 'bob', last_name: 'Test', profile_image_extension: null });
    });

    it('snapshot: a friend the cached friend list does not know yet is read afterwards', async () => {
      await core.connect('carol', 'c1');
      jest.spyOn(core.directory, 'userContext').mockResolvedValueOnce({ friendIds: ['bob'], sharing: SHARE_ALL });
      const snapshot = await core.service.snapshot('alice');
      expect(snapshot.presenceArr.find((entry) => entry.userId === 'carol')).toMatchObject({ page: EMPTY });
    });

    it("pageOf: the user's own and an accepted friend's current page (null offline); anyone else is refused", async () => {
      await core.connect('alice', 'a1');
      await core.service.updatePresence('alice', core.connection('a1'), url(1), 'one');
      expect(await core.service.pageOf('alice', 'alice')).toEqual({ url: url(1), title: 'one', domain: 'example.com' });
      expect(await core.service.pageOf('bob', 'alice')).toEqual({ url: url(1), title: 'one', domain: 'example.com' });
      expect(await core.service.pageOf('alice', 'bob')).toBeNull();
      await expect(core.service.pageOf('dave', 'alice')).rejects.toBeInstanceOf(ForbiddenError);
    });
  });

  describe('best-effort frames', () => {
    it('error frames and closes never throw', async () => {
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      core.gateway.open('a1');
      await core.service.sendError('a1', 'Message is not valid JSON');
      expect(frames('a1')).toEqual([{ type: 'error', message: 'Message is not valid JSON' }]);
      core.gateway.fail('a1');
      await expect(core.service.sendError('a1', 'again')).resolves.toBeUndefined();
      await expect(core.service.closeConnection('a1')).resolves.toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(2);
      core.gateway.recover();
      await core.service.closeConnection('a1');
      expect(core.gateway.sockets.closed).toEqual(['a1']);
    });
  });
});
