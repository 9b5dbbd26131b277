/**
 * The offline grace (OFFLINE_GRACE_SECONDS=3), end to end: the local gateway, the template's state
 * machine sweeping every second, real Redis. A user whose only socket closes and who reconnects within
 * the grace makes no push to friends at all (neither presence-timeout nor came-online); one who stays
 * away is announced exactly once, by the sweep after the grace, and later sweeps send nothing more.
 * Quiet periods end with sweeps that ran to their end and then a frame answered on the watcher's socket.
 */
import type { Pool } from 'pg';
import type { LocalApp } from '../../local/app';
import { befriend, createPool, seedUsers } from '../support/db';
import { startTestApp } from './helpers/local-app';
import { getPresence } from './helpers/presence-view';
import { NOT_JSON_ANSWER, TestClient, ofType, sleep } from './helpers/ws-client';
import { TestSockets } from './helpers/test-sockets';

const ALICE = 'e2e-grace-alice';
const BOB = 'e2e-grace-bob';
const GRACE_MS = 3000;
/** Room for the sweep (every second) and a loaded machine on top of the grace, for waits that end on an event. */
const SWEEP_SLACK_MS = 10_000;

let app: LocalApp;
let pool: Pool;
const sockets = new TestSockets(() => app);

const connectAs = (userId: string): Promise<TestClient> => sockets.connectAs(userId);

async function aliceAsBobSeesHer() {
  const presence = await getPresence(app.ports.rest, app.mintToken(BOB));
  return presence.presenceArr.find((entry) => entry.userId === ALICE)!;
}

/**
 * Resolves once a sweep that started after `time` has run to its end. Waiting for `time` to come only
 * sets the scene (a grace that would have ended by then); the sweep is what shows what happens at it.
 * Sweeps never overlap and app.sweep() joins the one running or starts one, so of two calls made after
 * `time`, the second is a sweep that started after it.
 */
async function sweptAfter(time: number): Promise<void> {
  await sleep(Math.max(0, time - Date.now()) + 1);
  await app.sweep();
  await app.sweep();
}

beforeAll(async () => {
  pool = createPool();
  await seedUsers(pool, [ALICE, BOB]);
  await befriend(pool, ALICE, BOB);
  app = await startTestApp('e2e-grace', { sweepIntervalSeconds: 1, env: { OFFLINE_GRACE_SECONDS: String(GRACE_MS / 1000) } });
}, 30_000);

afterEach(async () => {
  await sockets.closeAll();
  // Let a user left leaving by this test be announced, so the next test starts from a quiet state.
  await sweptAfter(Date.now() + GRACE_MS);
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

it('sends no push at all when the only socket closes and the user reconnects within the grace', async () => {
  const bob = await connectAs(BOB);
  let alice = await connectAs(ALICE);
  await bob.next(ofType('update-presence', ALICE)); // came online
  alice.send({ action: 'update-presence', url: 'https://example.com/grace', title: 'Grace' });
  const page = await bob.next(ofType('update-presence', ALICE));
  const mark = bob.received.length;

  const closing = Date.now();
  await alice.close();
  // Her $disconnect has run: she is leaving, not yet offline (without a grace, bob would have the push now).
  await app.settle();
  alice = await connectAs(ALICE);
  expect(Date.now() - closing).toBeLessThan(GRACE_MS); // the premise: she was back within the grace
  await app.settle();

  // Past the end of the grace she would have had, a whole sweep ran: it announced nothing.
  await sweptAfter(Date.now() + GRACE_MS);
  expect(await bob.roundTrip()).toEqual(NOT_JSON_ANSWER);
  expect(bob.received.slice(mark)).toEqual([NOT_JSON_ANSWER]);
  // She is online as before, on the same page, and her new socket works.
  expect(await aliceAsBobSeesHer()).toMatchObject({ page: { url: 'https://example.com/grace' }, at: page.at });
  expect(await alice.roundTrip()).toEqual(NOT_JSON_ANSWER);
});

it('announces a user who stays away exactly once, by the sweep after the grace, later sweeps send nothing more, and a return is one came-online push', async () => {
  const bob = await connectAs(BOB);
  const alice = await connectAs(ALICE);
  await bob.next(ofType('update-presence', ALICE)); // came online
  const mark = bob.received.length;

  const closing = Date.now();
  await alice.close();
  const gone = await bob.next(ofType('presence-timeout', ALICE), GRACE_MS + SWEEP_SLACK_MS);
  // Not before the grace ended (the server's grace starts no earlier than the close).
  expect(Date.now() - closing).toBeGreaterThanOrEqual(GRACE_MS);
  expect(gone).toStrictEqual({ type: 'presence-timeout', userId: ALICE, at: expect.any(Number) });
  // When she went offline on the server's clock (this machine's), between the close and the push.
  expect(gone.at).toBeGreaterThanOrEqual(closing);
  expect(gone.at).toBeLessThanOrEqual(Date.now());

  await sweptAfter(Date.now());
  await app.settle();
  expect(await bob.roundTrip()).toEqual(NOT_JSON_ANSWER);
  expect(bob.received.slice(mark)).toEqual([gone, NOT_JSON_ANSWER]);
  // Offline since she closed her socket (the start of the grace).
  const seen = await aliceAsBobSeesHer();
  expect(seen).toMatchObject({ page: null, latestPage: null, lastActiveAt: null });
  expect(Date.parse(seen.lastSeenAt!)).toBeGreaterThanOrEqual(closing);
  expect(Date.parse(seen.lastSeenAt!)).toBeLessThanOrEqual(gone.at as number);

  // Back after the grace: one came-online push, as after any absence, and nothing else.
  await connectAs(ALICE);
  const back = await bob.next(ofType('update-presence', ALICE));
  expect(back).toMatchObject({ url: '', title: '', at: expect.any(Number) });
  expect(back.at).toBeGreaterThanOrEqual(gone.at as number);
  await app.settle();
  expect(await bob.roundTrip()).toEqual(NOT_JSON_ANSWER);
  expect(bob.received.slice(mark)).toEqual([gone, NOT_JSON_ANSWER, back, NOT_JSON_ANSWER]);
});
