/**
 * End to end through the local runtime (`npm start`'s stack on random ports): real `ws` clients with
 * minted tokens, the template's routes, the real handlers, PostgreSQL (the run's test database) and
 * Redis (a prefix of its own), pushes through the HTTP management API.
 */
import type { Pool } from 'pg';
import type { LocalApp } from '../../local/app';
import { LOCAL_AWS_CREDENTIALS } from '../../local/aws-credentials';
import { startTestApp } from './helpers/local-app';
import { befriend, createPool, seedUsers } from '../support/db';
import { leanClient } from '../support/lean-client';
import { NOT_JSON_ANSWER, TestClient, ofType } from './helpers/ws-client';
import { TestSockets } from './helpers/test-sockets';

const ALICE = 'e2e-presence-alice';
const BOB = 'e2e-presence-bob';
const CAROL = 'e2e-presence-carol'; // a stranger to both

let app: LocalApp;
let pool: Pool;
const sockets = new TestSockets(() => app);

const wsUrl = (query = ''): string => sockets.url(query);
const connectAs = (userId: string): Promise<TestClient> => sockets.connectAs(userId);

function rest(path: string, token?: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${app.ports.rest}${path}`, {
    ...init,
    headers: { ...(token ? { Authorization: token } : {}), ...(init.headers as Record<string, string>) },
  });
}

beforeAll(async () => {
  pool = createPool();
  await seedUsers(pool, [
    { id: ALICE, firstName: 'Alice', shareMode: 'default_all' },
    { id: BOB, firstName: 'Bob', shareMode: 'default_all' },
    { id: CAROL, firstName: 'Carol', shareMode: 'default_all' },
  ]);
  await befriend(pool, ALICE, BOB);
  app = await startTestApp('e2e-presence', {
    env: { FRIEND_CACHE_TTL_SECONDS: '0' },
  });
});

afterEach(async () => {
  await sockets.closeAll();
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

describe('WebSocket pushes', () => {
  it('pushes the exact CONTRACT payload to the friend and the sender, never to a stranger', async () => {
    const [alice, bob, carol] = await Promise.all([connectAs(ALICE), connectAs(BOB), connectAs(CAROL)]);
    await app.settle();
    const carolMark = carol.received.length;

    const sent = Date.now();
    alice.send({ action: 'update-presence', url: 'https://news.bbc.co.uk/sport/1', title: 'Sport - BBC', jwt: 'ignored legacy field' });

    const expected = {
      type: 'update-presence',
      userId: ALICE,
      url: 'https://news.bbc.co.uk/sport/1',
      title: 'Sport - BBC',
      domain: 'bbc.co.uk',
      latestUrl: 'https://news.bbc.co.uk/sport/1',
      latestTitle: 'Sport - BBC',
      latestDomain: 'bbc.co.uk',
      at: expect.any(Number),
    };
    const pushed = await bob.next(ofType('update-presence', ALICE));
    expect(pushed).toStrictEqual(expected);
    expect(await alice.next(ofType('update-presence', ALICE))).toStrictEqual({ ...expected, at: pushed.at });
    // When the page was stored, on the server's clock (this machine's).
    expect(pushed.at).toBeGreaterThanOrEqual(sent);
    expect(pushed.at).toBeLessThanOrEqual(Date.now());
    // The fan-out has ended; a frame answered on carol's socket comes after anything sent to it before.
    await app.settle();
    expect(await carol.roundTrip()).toEqual(NOT_JSON_ANSWER);
    expect(carol.received.slice(carolMark)).toEqual([NOT_JSON_ANSWER]);
  });

  it('sends a hidden page with empty url and title, keeps the latest shared page, and GET /presence reflects it', async () => {
    const [alice, bob] = await Promise.all([connectAs(ALICE), connectAs(BOB)]);
    alice.send({ action: 'update-presence', url: 'https://en.wikipedia.org/wiki/Cat', title: 'Cat - Wikipedia' });
    await bob.next(ofType('update-presence', ALICE));

    alice.send({ action: 'update-presence', url: '', title: '' });
    expect(await bob.next(ofType('update-presence', ALICE))).toStrictEqual({
      type: 'update-presence',
      userId: ALICE,
      url: '',
      title: '',
      domain: '',
      latestUrl: 'https://en.wikipedia.org/wiki/Cat',
      latestTitle: 'Cat - Wikipedia',
      latestDomain: 'wikipedia.org',
      at: expect.any(Number),
    });

    const response = await rest('/presence', app.mintToken(BOB));
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await response.json()) as {
      userPresence: { userId: string; page: unknown };
      presenceArr: Array<{ userId: string; page: unknown; latestPage: unknown }>;
      userInfoMap: Record<string, unknown>;
    };
    expect(body.userPresence.userId).toBe(BOB);
    expect(body.presenceArr).toHaveLength(1);
    expect(body.presenceArr[0]).toMatchObject({
      userId: ALICE,
      page: { url: '', title: '', domain: '' },
      latestPage: { url: 'https://en.wikipedia.org/wiki/Cat', title: 'Cat - Wikipedia', domain: 'wikipedia.org' },
    });
    expect(Object.keys(body.userInfoMap).sort()).toEqual([ALICE, BOB].sort());

    const page = await rest(`/presence/${ALICE}`, `Bearer ${app.mintToken(BOB)}`);
    expect(page.status).toBe(200);
    expect(await page.json()).toEqual({ url: '', title: '', domain: '' });
    expect((await rest(`/presence/${ALICE}`, app.mintToken(CAROL))).status).toBe(403);
  });

  it('pushes presence-timeout to friends when the last connection closes', async () => {
    const [alice, bob] = await Promise.all([connectAs(ALICE), connectAs(BOB)]);
    const closing = Date.now();
    await alice.close();
    const gone = await bob.next(ofType('presence-timeout', ALICE));
    expect(gone).toStrictEqual({ type: 'presence-timeout', userId: ALICE, at: expect.any(Number) });
    // When she went offline: after the close began, before the push arrived.
    expect(gone.at).toBeGreaterThanOrEqual(closing);
    expect(gone.at).toBeLessThanOrEqual(Date.now());
  });
});

describe('handshake', () => {
  it('refuses a missing token with 401 and bad tokens with 403', async () => {
    expect(await TestClient.refusal(wsUrl())).toBe(401);
    expect(await TestClient.refusal(wsUrl('?Authorization=not-a-jwt'))).toBe(403);
    expect(await TestClient.refusal(wsUrl(`?Authorization=${app.mintToken(ALICE, { expiresInSeconds: -60 })}`))).toBe(403);
    expect(await TestClient.refusal(wsUrl(`?Authorization=${app.mintToken(ALICE, { clientId: 'someone-else' })}`))).toBe(403);
    expect(await TestClient.refusal(wsUrl(`?Authorization=${app.mintToken(ALICE, { tokenUse: 'access' })}`))).toBe(403);
  });

  it('accepts the token in Sec-WebSocket-Protocol and echoes the named subprotocol', async () => {
    const client = sockets.track(await TestClient.connect(wsUrl(), ['presence', app.mintToken(ALICE)]));
    expect(client.socket.protocol).toBe('presence');
  });
});

describe('frames', () => {
  it('answers garbage with an error frame and keeps the socket usable', async () => {
    const alice = await connectAs(ALICE);
    alice.send('this is not json');
    expect(await alice.next(ofType('error'))).toEqual({ type: 'error', message: expect.any(String) });
    alice.send({ action: 'no-such-route' });
    expect((await alice.next(ofType('error'))).message).toMatch(/no-such-route/);
    alice.send({ action: 'update-presence', url: 42 });
    await alice.next(ofType('error'));

    const mark = alice.received.length;
    alice.send({ action: 'heartbeat' });
    alice.send({ action: 'update-presence', url: 'https://github.com/', title: 'GitHub' });
    expect(await alice.next(ofType('update-presence', ALICE))).toMatchObject({ url: 'https://github.com/', domain: 'github.com' });
    // Both were handled (the heartbeat perhaps after the update): neither was answered with an error.
    await app.settle();
    expect(await alice.roundTrip()).toEqual(NOT_JSON_ANSWER);
    expect(alice.received.slice(mark).filter(ofType('error'))).toEqual([NOT_JSON_ANSWER]);
  });

  it('closes the socket with 1009 when a frame exceeds 32 KB', async () => {
    const alice = await connectAs(ALICE);
    alice.send({ action: 'heartbeat', padding: 'x'.repeat(33 * 1024) });
    expect((await alice.closed).code).toBe(1009);
  });
});

describe('REST gateway and management API', () => {
  it('answers 401 with CORS headers for a missing or invalid token, and CORS preflights', async () => {
    const missing = await rest('/presence');
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ message: 'Unauthorized' });
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
    expect((await rest('/presence', 'Bearer nope')).status).toBe(401);

    const preflight = await rest('/presence', undefined, { method: 'OPTIONS' });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect((await rest('/no-such-path', app.mintToken(ALICE))).status).toBe(403);
  });

  it('refuses unsigned management calls (403) and answers 410 GoneException for unknown connections', async () => {
    const managementApi = app.urls.managementApi.replace('localhost', '127.0.0.1');
    const unsigned = await fetch(`${managementApi}/@connections/${encodeURIComponent('nope=')}`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
    expect(await unsigned.json()).toEqual({ message: 'Forbidden' });
    // Signed as the handlers sign: the lean client with the local stack's credentials.
    const client = leanClient(managementApi, LOCAL_AWS_CREDENTIALS, 'us-east-1', 1);
    try {
      await expect(client.postToConnection('nope=', Buffer.from('{}'))).resolves.toBe('gone');
    } finally {
      await client.close();
    }
  });
});
