import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Pool } from 'pg';
import { befriend, createPool, resetTables, seedUsers } from '../support/db';
import { HandlerHarness, lambdaContext, sampleEvent } from '../support/handler-harness';

/**
 * The WebSocket and REST handlers end to end: real Redis, real PostgreSQL,
 * real HTTP to a management API, API Gateway-shaped events from events/.
 */
describe('presence flow through the real handlers', () => {
  const harness = new HandlerHarness('presence-flow');
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
    await seedUsers(pool, [
      { id: 'alice', shareMode: 'default_all', deny: ['secret.example'], profileImageExtension: 'png' },
      { id: 'bob', shareMode: 'default_all' },
      { id: 'carol', shareMode: 'default_all' },
      { id: 'stranger', shareMode: 'default_all' },
      { id: 'picky', shareMode: 'default_none', allow: ['wikipedia.org', 'bbc.co.uk'] },
    ]);
    await befriend(pool, 'alice', 'bob');
    await befriend(pool, 'carol', 'alice');
    await befriend(pool, 'picky', 'bob');
    await befriend(pool, 'alice', 'pending', { accepted: false });
    harness.connections.clearAll();
  });

  // Connection ids must be unique per test so state from one test never leaks into another.
  let counter = 0;
  const id = (name: string) => `${name}-${++counter}=`;

  it('pushes an update to every connection of online friends and to the user, never to strangers', async () => {
    const [alice, bob, carol, stranger] = [id('alice'), id('bob'), id('carol'), id('stranger')];
    expect((await harness.connect('alice', alice)).statusCode).toBe(200);
    await harness.connect('bob', bob);
    await harness.connect('carol', carol);
    await harness.connect('stranger', stranger);
    harness.connections.clearAll(); // the came-online announcements of these connects are not what this test counts

    const result = await harness.update('alice', alice, { url: 'https://news.bbc.co.uk/world?x=1', title: 'World - BBC' });
    expect(result.statusCode).toBe(200);

    const expected = {
      type: 'update-presence',
      userId: 'alice',
      url: 'https://news.bbc.co.uk/world?x=1',
      title: 'World - BBC',
      domain: 'bbc.co.uk',
      latestUrl: 'https://news.bbc.co.uk/world?x=1',
      latestTitle: 'World - BBC',
      latestDomain: 'bbc.co.uk',
      at: expect.any(Number),
    };
    expect(harness.connections.frames(bob)).toEqual([expected]);
    expect(harness.connections.frames(carol)).toEqual([expected]);
    expect(harness.connections.frames(alice)).toEqual([expected]);
    expect(harness.connections.frames(stranger)).toEqual([]);
  });

  it('announces a user who comes online to online friends at once (no page shared yet), once per session', async () => {
    const [bob, stranger, alice, phone] = [id('bob'), id('stranger'), id('alice'), id('alice-phone')];
    await harness.connect('bob', bob);
    await harness.connect('stranger', stranger);
    harness.connections.clearAll();

    await harness.connect('alice', alice);
    const online = {
      ...{ type: 'update-presence', userId: 'alice', url: '', title: '', domain: '' },
      ...{ latestUrl: '', latestTitle: '', latestDomain: '', at: expect.any(Number) },
    };
    expect(harness.connections.frames(bob)).toEqual([online]);
    expect(harness.connections.frames(stranger)).toEqual([]);
    const snapshot = JSON.parse((await harness.getPresence('bob')).body) as { presenceArr: { userId: string; page: unknown }[] };
    expect(snapshot.presenceArr.find((entry) => entry.userId === 'alice')?.page).toEqual({ url: '', title: '', domain: '' });

    await harness.connect('alice', phone); // already online: nothing new to tell
    expect(harness.connections.frames(bob)).toHaveLength(1);
  });

  it('sends a hidden page with empty url and title but keeps the latest shared page', async () => {
    const [alice, bob] = [id('alice'), id('bob')];
    await harness.connect('alice', alice);
    await harness.connect('bob', bob);
    await harness.update('alice', alice, { url: 'https://en.wikipedia.org/wiki/X', title: 'X - Wikipedia' });
    await harness.update('alice', alice, { url: '', title: '' });
    await harness.update('alice', alice, { url: 'https://secret.example/plans', title: 'Plans' });

    const frames = harness.connections.frames(bob) as Record<string, string>[];
    const latest = { latestUrl: 'https://en.wikipedia.org/wiki/X', latestTitle: 'X - Wikipedia', latestDomain: 'wikipedia.org' };
    expect(frames[1]).toEqual({ type: 'update-presence', userId: 'alice', url: '', title: '', domain: '', ...latest, at: expect.any(Number) });
    // A denied domain is hidden by the server, whatever the client sent.
    expect(frames[2]).toEqual({ type: 'update-presence', userId: 'alice', url: '', title: '', domain: '', ...latest, at: expect.any(Number) });

    const snapshot = JSON.parse((await harness.getPresence('bob')).body);
    const aliceEntry = snapshot.presenceArr.find((entry: { userId: string }) => entry.userId === 'alice');
    expect(aliceEntry.page).toEqual({ url: '', title: '', domain: '' });
    expect(aliceEntry.latestPage).toEqual({ url: 'https://en.wikipedia.org/wiki/X', title: 'X - Wikipedia', domain: 'wikipedia.org' });
  });

  it('shares a default_none user only on allowed domains (public-suffix aware)', async () => {
    const [picky, bob] = [id('picky'), id('bob')];
    await harness.connect('picky', picky);
    await harness.connect('bob', bob);
    await harness.update('picky', picky, { url: 'https://www.bbc.co.uk/news', title: 'BBC' });
    await harness.update('picky', picky, { url: 'https://evil-bbc.co.uk/', title: 'Lookalike' });
    await harness.update('picky', picky, { url: 'https://github.com/', title: 'GitHub' });
    await harness.update('picky', picky, { url: 'javascript:alert(1)', title: 'x' });

    const frames = harness.connections.frames(bob) as { url: string; domain: string }[];
    expect(frames.map((frame) => [frame.url, frame.domain])).toEqual([
      ['https://www.bbc.co.uk/news', 'bbc.co.uk'],
      ['', ''],
      ['', ''],
      ['', ''],
    ]);
  });

  it('keeps a multi-device user online until the last connection goes, then tells friends once', async () => {
    const [laptop, phone, bob] = [id('laptop'), id('phone'), id('bob')];
    await harness.connect('alice', laptop);
    await harness.connect('alice', phone);
    await harness.connect('bob', bob);
    harness.connections.clearAll(); // the came-online announcements of these connects are not what this test counts

    await harness.update('alice', laptop, { url: 'https://example.com/', title: 'Example' });
    expect(harness.connections.frames(phone)).toHaveLength(1);

    await harness.disconnect('alice', laptop);
    expect(harness.connections.take(bob)).toHaveLength(1); // only the update
    const whileOnPhone = JSON.parse((await harness.getUserPresence('bob', 'alice')).body);
    expect(whileOnPhone).toEqual({ url: 'https://example.com/', title: 'Example', domain: 'example.com' });

    await harness.disconnect('alice', phone);
    expect(harness.connections.take(bob)).toEqual([{ type: 'presence-timeout', userId: 'alice', at: expect.any(Number) }]);

    // A repeated (or late) $disconnect changes nothing and notifies nobody.
    await harness.disconnect('alice', phone);
    expect(harness.connections.take(bob)).toEqual([]);
    const offline = await harness.getUserPresence('bob', 'alice');
    expect(offline.statusCode).toBe(200);
    expect(JSON.parse(offline.body)).toBeNull();
  });

  it('ignores a late $disconnect of an old connection after the user reconnected', async () => {
    const [old, fresh, bob] = [id('old'), id('fresh'), id('bob')];
    await harness.connect('alice', old);
    await harness.connect('bob', bob);
    await harness.connect('alice', fresh);
    await harness.disconnect('alice', old);

    expect(harness.connections.frames(bob)).toEqual([]);
    await harness.update('alice', fresh, { url: 'https://example.org/', title: 'Org' });
    expect(harness.connections.frames(bob)).toHaveLength(1);
    const snapshot = JSON.parse((await harness.getPresence('bob')).body);
    expect(snapshot.presenceArr.find((entry: { userId: string }) => entry.userId === 'alice').page).not.toBeNull();
  });

  it('returns the CONTRACT snapshot: self, every accepted friend (online or offline), profiles, lastSeenAt', async () => {
    const [alice, bob] = [id('alice'), id('bob')];
    await harness.connect('alice', alice);
    await harness.connect('bob', bob);
    await harness.update('bob', bob, { url: 'https://en.wikipedia.org/wiki/Y', title: 'Y' });
    const carol = id('carol');
    await harness.connect('carol', carol);
    await harness.disconnect('carol', carol);

    const response = await harness.getPresence('alice');
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['Access-Control-Allow-Origin']).toBe('*');
    const body = JSON.parse(response.body);
    expect(body.userPresence).toMatchObject({ userId: 'alice', page: { url: '', title: '', domain: '' }, latestPage: null });
    const byId = Object.fromEntries(body.presenceArr.map((entry: { userId: string }) => [entry.userId, entry]));
    expect(Object.keys(byId).sort()).toEqual(['bob', 'carol']);
    expect(byId.bob).toMatchObject({
      page: { url: 'https://en.wikipedia.org/wiki/Y', title: 'Y', domain: 'wikipedia.org' },
      latestPage: { url: 'https://en.wikipedia.org/wiki/Y', title: 'Y', domain: 'wikipedia.org' },
      lastSeenAt: null,
    });
    expect(byId.carol).toMatchObject({ page: null, latestPage: null });
    expect(Date.parse(byId.carol.lastSeenAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(Object.keys(body.userInfoMap).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(body.userInfoMap.alice).toEqual({ user_id: 'alice', first_name: 'First-alice', last_name: 'Last-alice', profile_image_extension: 'png' });
  });

  it('answers 403 for strangers and pending friends, 200 for self and friends', async () => {
    await harness.connect('stranger', id('stranger'));
    expect((await harness.getUserPresence('alice', 'stranger')).statusCode).toBe(403);
    expect((await harness.getUserPresence('alice', 'pending')).statusCode).toBe(403);
    expect((await harness.getUserPresence('alice', 'nobody')).statusCode).toBe(403);
    const self = await harness.getUserPresence('alice', 'alice');
    expect(self.statusCode).toBe(200);
    expect(JSON.parse(self.body)).toBeNull();
    expect((await harness.getUserPresence('bob', 'alice')).statusCode).toBe(200);
  });

  it('removes exactly the gone connection (410) and keeps the update working', async () => {
    const [alice, bobDead, bobLive] = [id('alice'), id('bob-dead'), id('bob-live')];
    await harness.connect('alice', alice);
    // Connected a minute ago: a connection still in its handshake is never removed on a 410.
    await harness.connect('bob', bobDead, {}, Date.now() - 60_000);
    await harness.connect('bob', bobLive);
    harness.connections.drop(bobDead); // the socket died; API Gateway answers 410 from now on
    harness.connections.clearAll();

    expect((await harness.update('alice', alice, { url: 'https://example.com/a', title: 'A' })).statusCode).toBe(200);
    expect(harness.connections.frames(bobLive)).toHaveLength(1);
    const postsBefore = harness.connections.posts;
    await harness.update('alice', alice, { url: 'https://example.com/b', title: 'B' });
    // alice + bob's live connection only: the dead one was removed after its 410.
    expect(harness.connections.posts - postsBefore).toBe(2);
    expect(harness.connections.frames(bobLive)).toHaveLength(2);
  });

  describe('bad input', () => {
    it('answers malformed updates with an error frame and keeps state and socket', async () => {
      const [alice, bob] = [id('alice'), id('bob')];
      await harness.connect('alice', alice);
      await harness.connect('bob', bob);
      await harness.update('alice', alice, { url: 'https://example.com/', title: 'Kept' });
      harness.connections.clearAll();

      const cases: (string | { url: unknown; title?: unknown })[] = [
        'not json',
        '[1,2]',
        { url: 42, title: 'x' },
        { url: 'https://example.com/', title: { nested: true } },
      ];
      for (const body of cases) {
        const result = await harness.update('alice', alice, body);
        expect(result.statusCode).toBe(400);
      }
      const errors = harness.connections.frames(alice) as { type: string; message: string }[];
      expect(errors).toHaveLength(cases.length);
      for (const frame of errors) {
        expect(frame.type).toBe('error');
        expect(frame.message).toMatch(/\S/);
        expect(frame.message).not.toMatch(/at .*\.ts|Error:/);
      }
      expect(harness.connections.frames(bob)).toEqual([]);
      expect(harness.connections.isOpen(alice)).toBe(true);
      const page = JSON.parse((await harness.getUserPresence('bob', 'alice')).body);
      expect(page.title).toBe('Kept');
    });

    it('cuts an over-long title instead of refusing the update', async () => {
      const alice = id('alice');
      await harness.connect('alice', alice);
      await harness.update('alice', alice, { url: 'https://example.com/', title: 't'.repeat(2000) });
      const [frame] = harness.connections.frames(alice) as { title: string }[];
      expect(frame!.title).toHaveLength(512);
    });

    it('answers unknown actions and garbage on $default with an error frame', async () => {
      const alice = id('alice');
      await harness.connect('alice', alice);
      for (const body of ['{"action":"teleport"}', 'garbage', '', '{"no":"action"}', null]) {
        expect((await harness.sendDefault('alice', alice, body)).statusCode).toBe(400);
      }
      const frames = harness.connections.frames(alice) as { type: string; message: string }[];
      expect(frames).toHaveLength(5);
      expect(frames[0]).toEqual({ type: 'error', message: 'Unknown action "teleport"; expected one of: heartbeat, update-presence, subscribe, keepalive' });
      expect(frames.every((frame) => frame.type === 'error')).toBe(true);
    });

    it('refuses messages on connections that are not registered and closes them', async () => {
      const ghost = id('ghost');
      harness.connections.open(ghost);
      expect((await harness.heartbeat('alice', ghost)).statusCode).toBe(410);
      expect(harness.connections.closed).toContain(ghost);
      const ghost2 = id('ghost');
      harness.connections.open(ghost2);
      expect((await harness.update('alice', ghost2, { url: '', title: '' })).statusCode).toBe(410);
    });

    it('refuses WebSocket events without an authorizer context', async () => {
      const conn = id('anon');
      harness.connections.open(conn);
      expect((await harness.heartbeat(null as unknown as string, conn)).statusCode).toBe(401);
    });

    it('answers REST requests without claims with 401 and malformed ids with 400, with CORS', async () => {
      const anonymous = await harness.getPresence(null);
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers?.['Access-Control-Allow-Origin']).toBe('*');
      expect(JSON.parse(anonymous.body)).toEqual({ message: 'Unauthorized' });
      expect((await harness.getUserPresence('alice', undefined)).statusCode).toBe(400);
      expect((await harness.getUserPresence('alice', '../../etc')).statusCode).toBe(400);
      expect((await harness.getUserPresence('alice', '%E0%A4%A')).statusCode).toBe(400);
    });

    /** GET /presence as API Gateway's Cognito authorizer passes it, with these verified claims. */
    const getPresenceWith = (claims: Record<string, string>) => {
      const event = sampleEvent<{ requestContext: { authorizer?: { claims?: Record<string, string> } } }>('get-presence');
      event.requestContext.authorizer = { claims };
      return harness.handler('get-presence')(event, lambdaContext('get-presence')) as Promise<APIGatewayProxyResult>;
    };

    it('answers only tokens of the configured app clients (aud of ID tokens, client_id of access tokens), 401 for any other', async () => {
      const idToken = { sub: 'f1d2-alice', 'cognito:username': 'alice', token_use: 'id', aud: 'presence-local-client' };
      expect((await getPresenceWith(idToken)).statusCode).toBe(200);
      const { aud: _aud, ...withoutAudience } = idToken;
      const accessToken = { ...withoutAudience, token_use: 'access', client_id: 'presence-local-client' };
      expect((await getPresenceWith(accessToken)).statusCode).toBe(200);

      for (const claims of [
        { ...idToken, aud: 'another-app-of-the-pool' },
        { ...accessToken, client_id: 'another-app-of-the-pool' },
        withoutAudience,
      ]) {
        const refused = await getPresenceWith(claims);
        expect(refused.statusCode).toBe(401);
        expect(JSON.parse(refused.body)).toEqual({ message: 'Unauthorized' });
      }
      // Without the user id claim (cognito:username here) the caller is no one.
      expect((await getPresenceWith({ ...idToken, 'cognito:username': '' })).statusCode).toBe(401);
    });
  });

  it('heartbeat refreshes last activity; legacy jwt in the body cannot change identity', async () => {
    const alice = id('alice');
    await harness.connect('alice', alice);
    const before = JSON.parse((await harness.getPresence('alice')).body).userPresence.lastActiveAt;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await harness.heartbeat('alice', alice, JSON.stringify({ action: 'heartbeat', jwt: 'token-of-bob', userId: 'bob' }));
    expect(result.statusCode).toBe(200);
    const after = JSON.parse((await harness.getPresence('alice')).body).userPresence.lastActiveAt;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    expect(JSON.parse((await harness.getPresence('bob')).body).userPresence.page).toBeNull();
  });
});
