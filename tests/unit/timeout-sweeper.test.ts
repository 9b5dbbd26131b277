/**
 * TimeoutSweeper's rules on in-memory fakes of its ports (tests/support/fakes): claim, notify, retry,
 * and the deferred fan-outs it flushes. Races are staged at the exact step by wrapping the fake
 * store's method, never by timing. tests/integration/sweeper.test.ts runs the same races on Redis.
 */
import { ServiceUnavailableError } from '../../layers/core/errors';
import { logger } from '../../layers/core/logger';
import type { SharingSettings } from '../../layers/core/model';
import { fakeCore, MINUTE, type FakeCore, type FakeCoreOptions } from '../support/fakes/core';

const BATCH = 3;
const TIMEOUT_MS = 2 * MINUTE;
const SHARE_ALL: SharingSettings = { shareMode: 'default_all', domainAllow: [], domainDeny: [] };
const url = (i: number) => `https://example.com/page/${i}`;

interface Frame {
  type: string;
  userId?: string;
  url?: string;
}

describe('TimeoutSweeper (on fakes)', () => {
  let core: FakeCore;

  function setUp(options: FakeCoreOptions = {}): void {
    core = fakeCore({ timeoutMs: TIMEOUT_MS, sweepBatchSize: BATCH, ...options });
  }

  beforeEach(() => setUp());
  afterEach(() => jest.restoreAllMocks());

  const frames = (connectionId: string) => core.gateway.frames(connectionId) as Frame[];
  const timeouts = (connectionId: string) => frames(connectionId).filter((frame) => frame.type === 'presence-timeout');
  const isOnline = async (userId: string) => (await core.store.snapshot([userId])).get(userId)!.online;
  const shardOf = (userId: string) => core.store.shardOf(userId);

  /** `count` fresh ids that all live in `shard`. */
  function idsInShard(prefix: string, shard: number, count: number): string[] {
    const ids: string[] = [];
    for (let i = 0; ids.length < count; i++) if (shardOf(`${prefix}${i}`) === shard) ids.push(`${prefix}${i}`);
    return ids;
  }

  /** Last active ten minutes ago: well past the timeout. */
  function makeStale(userId: string): number {
    const at = core.clock.now() - 10 * MINUTE;
    core.store.setLastActive(userId, at);
    return at;
  }

  /** Stages a race at the exact step: `step` runs inside the store's claim, before or after the real one. */
  function duringClaim(when: 'before' | 'after', step: (users: readonly string[]) => Promise<void>) {
    const claim = core.store.claimStale.bind(core.store);
    return jest.spyOn(core.store, 'claimStale').mockImplementation(async (shard, candidates, now) => {
      if (when === 'before') await step(candidates);
      const pending = await claim(shard, candidates, now);
      if (when === 'after') await step([...pending.keys()]);
      return pending;
    });
  }

  /** A stale user with connection c-<user>, and an online friend with connection c-<friend>. */
  async function staleWithFriend(userId: string, friendId = `friend-of-${userId}`): Promise<number> {
    core.directory.addUsers([userId, friendId]).befriend([userId, friendId]);
    await core.connect(userId, `c-${userId}`);
    await core.connect(friendId, `c-${friendId}`);
    core.gateway.sockets.clearAll();
    return makeStale(userId);
  }

  it('an empty shard ends at once', async () => {
    expect(await core.sweeper.sweepBatch(1)).toEqual({
      shard: 1,
      processed: 0,
      timedOut: 0,
      cameBack: 0,
      notifications: 0,
      connectionsClosed: 0,
      flushed: 0,
      more: false,
    });
    expect(core.gateway.sockets.posts).toBe(0);
  });

  it('leaves a user who is not yet stale alone', async () => {
    core.directory.addUsers(['recent', 'recent-friend']).befriend(['recent', 'recent-friend']);
    await core.connect('recent', 'c-recent');
    await core.connect('recent-friend', 'c-recent-friend');
    core.store.setLastActive('recent', core.clock.now() - TIMEOUT_MS + 2000, core.clock.now() + 2000);

    expect(await core.sweeper.sweepBatch(shardOf('recent'))).toMatchObject({ processed: 0, timedOut: 0 });
    expect(await isOnline('recent')).toBe(true);
    expect(timeouts('c-recent-friend')).toEqual([]);
  });

  it("times out a stale user: every friend's connection is told, the ghost socket closed, the user offline since their last activity", async () => {
    const lastActive = await staleWithFriend('gone');
    await core.connect('friend-of-gone', 'c-friend-of-gone-phone');

    const result = await core.sweeper.sweepBatch(shardOf('gone'));

    expect(result).toEqual({
      shard: shardOf('gone'),
      processed: 1,
      timedOut: 1,
      cameBack: 0,
      notifications: 2,
      connectionsClosed: 1,
      flushed: 0,
      more: false,
    });
    for (const connectionId of ['c-friend-of-gone', 'c-friend-of-gone-phone'])
      expect(timeouts(connectionId)).toEqual([{ type: 'presence-timeout', userId: 'gone', at: expect.any(Number) }]);
    expect(core.gateway.sockets.closed).toEqual(['c-gone']);
    expect((await core.store.snapshot(['gone'])).get('gone')).toMatchObject({ online: false, lastSeenAt: lastActive });
    expect((await core.store.pending(shardOf('gone'))).size).toBe(0);
  });

  it('a late heartbeat or update from the timed-out socket cannot bring the user back', async () => {
    await staleWithFriend('late');
    await core.sweeper.sweepBatch(shardOf('late'));
    await expect(core.service.heartbeat('late', core.connection('c-late'))).rejects.toThrow('Connection is not registered');
    await expect(core.service.updatePresence('late', core.connection('c-late'), url(1), 'one')).rejects.toThrow('Connection is not registered');
    expect(await isOnline('late')).toBe(false);
  });

  it('a heartbeat that lands between the candidate scan and the claim keeps the user online', async () => {
    await staleWithFriend('hb');
    const spy = duringClaim('before', async (candidates) => {
      expect(candidates).toContain('hb');
      await core.service.heartbeat('hb', core.connection('c-hb'));
    });

    expect(await core.sweeper.sweepBatch(shardOf('hb'))).toMatchObject({ processed: 0, timedOut: 0 });

    expect(spy).toHaveBeenCalledTimes(1);
    expect(await isOnline('hb')).toBe(true);
    expect(timeouts('c-friend-of-hb')).toEqual([]);
    expect(core.gateway.sockets.isOpen('c-hb')).toBe(true);
  });

  describe('a user back online after the claim is not announced offline; only the ghost socket is closed', () => {
    it('claimed by a sweep that crashed, reconnected, then the next sweep runs', async () => {
      await staleWithFriend('rc');
      const shard = shardOf('rc');
      const now = core.clock.now();
      await core.store.claimStale(shard, ['rc'], now);
      expect(await isOnline('rc')).toBe(false);
      await core.connect('rc', 'c-rc-new');
      core.gateway.sockets.clearAll();

      const result = await core.sweeper.sweepBatch(shard);

      expect(result).toMatchObject({ processed: 1, timedOut: 0, cameBack: 1, notifications: 0, connectionsClosed: 1 });
      expect(timeouts('c-friend-of-rc')).toEqual([]);
      expect(core.gateway.sockets.closed).toEqual(['c-rc']);
      expect(core.gateway.sockets.isOpen('c-rc-new')).toBe(true);
      expect(await isOnline('rc')).toBe(true);
      expect((await core.store.pending(shard)).size).toBe(0);
    });

    it('reconnected between the claim and the notification step', async () => {
      await staleWithFriend('rc2');
      duringClaim('after', async (claimed) => {
        expect(claimed).toContain('rc2');
        await core.connect('rc2', 'c-rc2-new');
      });

      expect(await core.sweeper.sweepBatch(shardOf('rc2'))).toMatchObject({ processed: 1, timedOut: 0, cameBack: 1, notifications: 0 });
      expect(timeouts('c-friend-of-rc2')).toEqual([]);
      expect(await isOnline('rc2')).toBe(true);
      expect(core.gateway.sockets.isOpen('c-rc2-new')).toBe(true);
    });
  });

  describe('retries', () => {
    it('a batch that failed after its claim is finished by the next one, and nobody is told twice', async () => {
      await staleWithFriend('retry');
      const shard = shardOf('retry');
      core.directory.down();

      await expect(core.sweeper.sweepBatch(shard)).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(await isOnline('retry')).toBe(false);
      expect(await core.store.pending(shard)).toEqual(new Map([['retry', ['c-retry']]]));
      expect(timeouts('c-friend-of-retry')).toEqual([]);

      core.directory.up();
      expect(await core.sweeper.sweepBatch(shard)).toMatchObject({ processed: 1, timedOut: 1, notifications: 1, connectionsClosed: 1 });
      expect(await core.sweeper.sweepBatch(shard)).toMatchObject({ processed: 0, timedOut: 0, notifications: 0 });
      expect(timeouts('c-friend-of-retry')).toHaveLength(1);
    });

    it('running a task twice gives the same end state, without duplicate notifications', async () => {
      const users = idsInShard('twice-', 2, 2);
      core.directory.addUsers([...users, 'watcher']).befriend(...users.map((id) => [id, 'watcher'] as const));
      for (const id of users) await core.connect(id, `c-${id}`);
      await core.connect('watcher', 'c-watcher');
      core.gateway.sockets.clearAll();
      for (const id of users) makeStale(id);

      expect(await core.sweeper.sweepBatch(2)).toMatchObject({
        processed: 2,
        timedOut: 2,
        notifications: 2,
        connectionsClosed: 2,
        more: false,
      });
      expect(await core.sweeper.sweepBatch(2)).toMatchObject({
        processed: 0,
        timedOut: 0,
        notifications: 0,
        connectionsClosed: 0,
        more: false,
      });
      expect(timeouts('c-watcher')).toHaveLength(2);
    });

    it('a push that fails is logged and does not fail the batch', async () => {
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      await staleWithFriend('unlucky');
      core.gateway.fail('c-friend-of-unlucky');
      expect(await core.sweeper.sweepBatch(shardOf('unlucky'))).toMatchObject({ processed: 1, timedOut: 1, notifications: 0 });
      expect(warn).toHaveBeenCalledWith('push failed', expect.objectContaining({ connectionId: 'c-friend-of-unlucky' }));
      expect((await core.store.pending(shardOf('unlucky'))).size).toBe(0);
    });
  });

  it("removes the friends' connections API Gateway reports gone, and counts a gone ghost socket as closed", async () => {
    await staleWithFriend('user410');
    await core.service.connect('friend-of-user410', { ...core.connection('c-dead'), connectedAt: core.clock.now() - 5 * MINUTE }); // no socket behind it
    core.gateway.sockets.drop('c-user410'); // the ghost socket is gone too

    expect(await core.sweeper.sweepBatch(shardOf('user410'))).toMatchObject({ timedOut: 1, notifications: 1, connectionsClosed: 1 });
    expect((await core.store.connectionsOf(['friend-of-user410'], core.clock.now(), 'pages')).get('friend-of-user410')).toEqual([
      'c-friend-of-user410',
    ]);
  });

  it('does not notify a friend who timed out in the same batch', async () => {
    const [a, b] = idsInShard('pair-', 0, 2) as [string, string];
    core.directory.addUsers([a, b, 'watcher']).befriend([a, b], [a, 'watcher']);
    for (const id of [a, b, 'watcher']) await core.connect(id, `c-${id}`);
    core.gateway.sockets.clearAll();
    makeStale(a);
    makeStale(b);

    expect(await core.sweeper.sweepBatch(0)).toMatchObject({ timedOut: 2, notifications: 1 });
    expect(timeouts('c-watcher')).toEqual([{ type: 'presence-timeout', userId: a, at: expect.any(Number) }]);
    expect(core.gateway.sockets.posts).toBe(1);
  });

  describe('bounded batches', () => {
    async function staleUsers(prefix: string, shard: number, count: number): Promise<string[]> {
      const users = idsInShard(prefix, shard, count);
      core.directory.addUsers([...users, `${prefix}friend`]).befriend(...users.map((id) => [id, `${prefix}friend`] as const));
      for (const id of users) await core.connect(id, `c-${id}`);
      await core.connect(`${prefix}friend`, `c-${prefix}friend`);
      core.gateway.sockets.clearAll();
      for (const id of users) makeStale(id);
      return users;
    }

    it('works through a pending backlog larger than one batch, one batch at a time', async () => {
      const users = await staleUsers('backlog-', 3, 2 * BATCH + 1);
      const now = core.clock.now();
      await core.store.claimStale(3, users, now); // e.g. left by batches that failed during an outage

      const results = [];
      do results.push(await core.sweeper.sweepBatch(3));
      while (results.at(-1)!.more && results.length < 10);

      expect(results.map((r) => r.processed)).toEqual([BATCH, BATCH, 1]);
      expect(results.map((r) => r.more)).toEqual([true, true, false]);
      const told = timeouts('c-backlog-friend').map((frame) => frame.userId);
      expect(told.sort()).toEqual([...users].sort());
    });

    it('reports more while the scan comes back full and the time budget lasts; the task reports its backlog', async () => {
      await staleUsers('loop-', 0, BATCH + 1);
      const full = await core.sweeper.runTask({ shard: 0, startedAt: core.clock.now() });
      expect(full.result).toMatchObject({ processed: BATCH, more: true });
      expect(full.backlog).toBe(1); // the scan came back full
      expect(full.timedOutUsers).toHaveLength(BATCH);
      const rest = await core.sweeper.runTask({ shard: 0, startedAt: core.clock.now() });
      expect(rest.result).toMatchObject({ processed: 1, more: false });
      expect(rest.backlog).toBe(0);
    });

    it('stops once the time budget of the execution is spent (the rest waits for the next run)', async () => {
      await staleUsers('spent-', 1, BATCH + 1);
      const startedAt = core.clock.now() - core.settings.sweepTimeBudgetMs;
      expect((await core.sweeper.runTask({ shard: 1, startedAt })).result).toMatchObject({ processed: BATCH, more: false });
      expect((await core.sweeper.runTask({ shard: 1, startedAt: core.clock.now() })).result).toMatchObject({ processed: 1, more: false });
    });

    it('honours the batch size the state machine passes', async () => {
      await staleUsers('size-', 2, 3);
      expect((await core.sweeper.runTask({ shard: 2, batchSize: 2, startedAt: core.clock.now() })).result).toMatchObject({
        processed: 2,
        more: true,
      });
      expect((await core.sweeper.runTask({ shard: 2, batchSize: 2, startedAt: core.clock.now() })).result).toMatchObject({
        processed: 1,
        more: false,
      });
    });
  });

  describe('deferred fan-outs', () => {
    it("flushes the latest page of a user over their fan-out budget to friends and own devices, once, in the user's shard", async () => {
      setUp({ limits: { fanOutBurst: 2, fanOutIntervalMs: MINUTE } });
      core.directory.addUsers(['alice'], SHARE_ALL).addUsers(['bob']).befriend(['alice', 'bob']);
      await core.connect('alice', 'a1');
      await core.connect('alice', 'a2');
      await core.connect('bob', 'b1');
      core.gateway.sockets.clearAll();
      for (let i = 1; i <= 3; i++) await core.service.updatePresence('alice', core.connection('a1'), url(i), String(i)); // 2 and 3 over the budget

      const otherShard = (shardOf('alice') + 1) % core.settings.statusShards;
      expect(await core.sweeper.sweepBatch(otherShard)).toMatchObject({ flushed: 0 });
      expect(await core.sweeper.sweepBatch(shardOf('alice'))).toMatchObject({ flushed: 1, processed: 0, more: false });

      for (const connectionId of ['a1', 'a2', 'b1']) expect(frames(connectionId).map((frame) => frame.url)).toEqual([url(1), url(3)]);
      expect(await core.sweeper.sweepBatch(shardOf('alice'))).toMatchObject({ flushed: 0 });
    });

    it('finishes a fan-out whose pusher died, once its lease has expired', async () => {
      core.directory.addUsers(['alice'], SHARE_ALL).addUsers(['bob']).befriend(['alice', 'bob']);
      await core.connect('alice', 'a1');
      await core.connect('bob', 'b1');
      core.gateway.sockets.clearAll();
      const now = core.clock.now();
      // A pusher takes the lease and dies before pushing; a later page is stored meanwhile.
      await core.store.updatePage('alice', core.connection('a1'), now, { url: url(1), title: '1', domain: 'example.com' });
      await core.store.updatePage('alice', core.connection('a1'), now, { url: url(2), title: '2', domain: 'example.com' });

      expect(await core.sweeper.sweepBatch(shardOf('alice'))).toMatchObject({ flushed: 0 });
      core.clock.advance(core.pushLeaseMs + 1);
      expect(await core.sweeper.sweepBatch(shardOf('alice'))).toMatchObject({ flushed: 1 });
      expect(frames('b1').map((frame) => frame.url)).toEqual([url(2)]);
    });

    it('reports more while a full batch of deferred fan-outs was flushed', async () => {
      setUp({ limits: { fanOutBurst: 1, fanOutIntervalMs: MINUTE } });
      const users = idsInShard('flood-', 0, BATCH + 1);
      core.directory.addUsers(users, SHARE_ALL);
      for (const id of users) {
        await core.connect(id, `c-${id}`); // the came-online announcement spends the burst
        await core.service.updatePresence(id, core.connection(`c-${id}`), url(1), '1');
      }
      expect(await core.sweeper.sweepBatch(0)).toMatchObject({ flushed: BATCH, more: true });
      expect(await core.sweeper.sweepBatch(0)).toMatchObject({ flushed: 1, more: false });
    });
  });
});
