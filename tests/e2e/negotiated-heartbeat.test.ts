/**
 * The heartbeat interval a client negotiates at the handshake (`heartbeat=<seconds>`, 1-540), end to
 * end: the local gateway, the template's state machine sweeping every second, real Redis. A stack with
 * a 5 s presence timeout times out a silent default connection within seconds, while a silent
 * connection that asked for heartbeat=3 keeps its user online for its allowance, 2 x 3 + 30 = 36 s,
 * and is timed out after it. The same rule with the production numbers (a 300 s heartbeat survives
 * 200 s of silence, due at 630 s) is held at the store level by
 * tests/integration/presence-store-contract.test.ts ("a connection is due its allowance ...").
 */
import type { Pool } from 'pg';
import type { LocalApp } from '../../local/app';
import { befriendAll, createPool, seedUsers } from '../support/db';
import { startTestApp } from './helpers/local-app';
import { getPresence } from './helpers/presence-view';
import { NOT_JSON_ANSWER, TestClient, ofType, sleep } from './helpers/ws-client';
import { TestSockets } from './helpers/test-sockets';

const WATCHER = 'e2e-heartbeat-watcher';
const LONG = 'e2e-heartbeat-long';
const SHORT = 'e2e-heartbeat-short';
const REFUSED = 'e2e-heartbeat-refused';

const PRESENCE_TIMEOUT_SECONDS = 5;
const HEARTBEAT_SECONDS = 3;
const ALLOWANCE_MS = (2 * HEARTBEAT_SECONDS + 30) * 1000;
/** How long the negotiated connection stays silent before its user must still be online: 3x the default allowance. */
const SILENCE_MS = 3 * PRESENCE_TIMEOUT_SECONDS * 1000;
/** Room for the sweep (every second) and a loaded machine on top of a deadline, for waits that end on an event. */
const SWEEP_SLACK_MS = 10_000;
const REASON = { message: 'heartbeat must be a whole number of seconds from 1 to 540' };

let app: LocalApp;
let pool: Pool;
const sockets = new TestSockets(() => app);

const url = (userId: string, query = ''): string => sockets.urlOf(userId, query);
const connectAs = (userId: string, query = ''): Promise<TestClient> => sockets.connectAs(userId, query);

async function isOnline(viewer: string, userId: string): Promise<boolean> {
  const presence = await getPresence(app.ports.rest, app.mintToken(viewer));
  const entry = presence.presenceArr.find((candidate) => candidate.userId === userId);
  if (!entry) throw new Error(`${userId} is not a friend of ${viewer}`);
  return entry.page !== null;
}

beforeAll(async () => {
  pool = createPool();
  await seedUsers(pool, [WATCHER, LONG, SHORT, REFUSED]);
  await befriendAll(pool, [
    [WATCHER, LONG],
    [WATCHER, SHORT],
    [REFUSED, WATCHER],
  ]);
  app = await startTestApp('e2e-heartbeat', { presenceTimeoutSeconds: PRESENCE_TIMEOUT_SECONDS, sweepIntervalSeconds: 1 });
}, 30_000);

afterEach(async () => {
  await sockets.closeAll();
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

it(`keeps a silent connection with heartbeat=${HEARTBEAT_SECONDS} online for its allowance (${ALLOWANCE_MS / 1000} s), then times it out; a default one beside it goes after ${PRESENCE_TIMEOUT_SECONDS} s`, async () => {
  const watcher = await connectAs(WATCHER);
  const heartbeats = setInterval(() => watcher.send({ action: 'heartbeat' }), 1000);
  try {
    // Neither sends a frame from here on; the server's clock starts each allowance no earlier than this.
    const opening = Date.now();
    const [short, long] = await Promise.all([connectAs(SHORT), connectAs(LONG, `&heartbeat=${HEARTBEAT_SECONDS}`)]);
    const opened = Date.now();

    const shortGone = await watcher.next(ofType('presence-timeout', SHORT), PRESENCE_TIMEOUT_SECONDS * 1000 + SWEEP_SLACK_MS);
    expect(Date.now() - opening).toBeGreaterThanOrEqual(PRESENCE_TIMEOUT_SECONDS * 1000);
    expect(shortGone.at).toBeGreaterThanOrEqual(opening + PRESENCE_TIMEOUT_SECONDS * 1000);
    expect((await short.closed).code).toBe(1000);
    // The default connection is gone, the negotiated one's user is not.
    expect(await isOnline(WATCHER, LONG)).toBe(true);

    // Three times what the default connection survived, in silence: still online.
    await sleep(opened + SILENCE_MS - Date.now());
    expect(await isOnline(WATCHER, LONG)).toBe(true);

    // Then timed out after its allowance, by the sweep, which also closes the socket.
    const longGone = await watcher.next(ofType('presence-timeout', LONG), opened + ALLOWANCE_MS + SWEEP_SLACK_MS - Date.now());
    expect(Date.now() - opening).toBeGreaterThanOrEqual(ALLOWANCE_MS);
    expect(longGone).toStrictEqual({ type: 'presence-timeout', userId: LONG, at: expect.any(Number) });
    expect(longGone.at).toBeGreaterThanOrEqual(opening + ALLOWANCE_MS);
    expect((await long.closed).code).toBe(1000);
    expect(long.received).toEqual([]);
    expect(await isOnline(WATCHER, LONG)).toBe(false);
  } finally {
    clearInterval(heartbeats);
  }
}, ALLOWANCE_MS + 2 * SWEEP_SLACK_MS + 10_000);

it('refuses heartbeat=0, 541, 1.5, abc and an empty value with 400 and the reason, before the user is online; accepts 1 and 540', async () => {
  const watcher = await connectAs(WATCHER, '&heartbeat=540');
  await app.settle();
  const mark = watcher.received.length;
  for (const value of ['0', '541', '1.5', 'abc', '', '-3', '1e2']) {
    const refusal = await TestClient.refusalWithBody(url(REFUSED, `&heartbeat=${encodeURIComponent(value)}`));
    expect({ value, statusCode: refusal.statusCode, body: JSON.parse(refusal.body) as unknown }).toEqual({ value, statusCode: 400, body: REASON });
  }
  // The token is checked first: without one it is 401 whatever the heartbeat says.
  expect(await TestClient.refusal(`ws://127.0.0.1:${app.ports.websocket}?heartbeat=0`)).toBe(401);

  // No refused handshake brought the user online: their friend was told nothing.
  await app.settle();
  expect(await watcher.roundTrip()).toEqual(NOT_JSON_ANSWER);
  expect(watcher.received.slice(mark)).toEqual([NOT_JSON_ANSWER]);
  expect(await isOnline(WATCHER, REFUSED)).toBe(false);

  const accepted = await connectAs(REFUSED, '&heartbeat=1');
  expect(await watcher.next(ofType('update-presence', REFUSED))).toMatchObject({ url: '', at: expect.any(Number) });
  expect(accepted.socket.readyState).toBe(accepted.socket.OPEN);
});
