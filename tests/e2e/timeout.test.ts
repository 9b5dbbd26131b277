/**
 * Timeouts through the local runtime: the template's state machine, run by aws-local-stepfunctions
 * every second (SWEEP_INTERVAL_SECONDS=1) with a 5 s presence timeout, and API Gateway's idle timeout
 * (shortened to 3 s here; 10 minutes by default). The stack's log says who was timed out and why.
 */
import type { Pool } from 'pg';
import type { LocalApp } from '../../local/app';
import { startTestApp } from './helpers/local-app';
import { befriend, createPool, seedUsers } from '../support/db';
import { getPresence } from './helpers/presence-view';
import { TestClient, ofType } from './helpers/ws-client';

const ALICE = 'e2e-timeout-alice';
const BOB = 'e2e-timeout-bob';
const LONER = 'e2e-timeout-loner';

let app: LocalApp;
let pool: Pool;
const log: string[] = [];
const logged = (pattern: RegExp) => log.filter((line) => pattern.test(line));

function connectAs(userId: string): Promise<TestClient> {
  return TestClient.connect(`ws://127.0.0.1:${app.ports.websocket}?Authorization=${app.mintToken(userId)}`);
}

beforeAll(async () => {
  pool = createPool();
  await seedUsers(pool, [ALICE, BOB, LONER]);
  await befriend(pool, BOB, ALICE);
  app = await startTestApp('e2e-timeout', {
    presenceTimeoutSeconds: 5,
    sweepIntervalSeconds: 1,
    statusShards: 4,
    idleTimeoutSeconds: 3,
    log: (line) => log.push(line),
  });
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

it('times out a silent user through the local state machine and tells the friends', async () => {
  // Alice's last activity is her $connect: the timeout counts from before it.
  const started = Date.now();
  const [alice, bob] = await Promise.all([connectAs(ALICE), connectAs(BOB)]);
  // Bob keeps heartbeating; Alice's socket stays open (WebSocket pings keep API Gateway's idle timer
  // at bay) but she sends no heartbeat, so only the presence timeout can take her offline.
  const keepAlive = setInterval(() => {
    bob.send({ action: 'heartbeat' });
    alice.socket.ping();
  }, 1000);
  try {
    const gone = await bob.next(ofType('presence-timeout', ALICE), 15_000);
    expect(gone).toStrictEqual({ type: 'presence-timeout', userId: ALICE, at: expect.any(Number) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
    // `at` is when the server took her offline: not before her 5 s had passed, not after the push arrived.
    expect(gone.at).toBeGreaterThanOrEqual(started + 5000);
    expect(gone.at).toBeLessThanOrEqual(Date.now());
    // The sweep also closes the timed-out user's socket, so the client reconnects.
    await expect(
      Promise.race([alice.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('still open')), 5000))]),
    ).resolves.toBeDefined();
    // Bob's heartbeats kept him online.
    expect((await getPresence(app.ports.rest, app.mintToken(BOB))).userPresence.page).not.toBeNull();

    // One line for the run: who, how long silent, friends told, sockets closed; and the socket's
    // $disconnect line says the sweep closed it and why.
    await app.settle();
    expect(logged(/^\[sweep\] /)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\[sweep\\] timed out ${ALICE} \\(silent [5-9] s\\): 1 friend told, 1 socket closed; silent longer than their connections allow \\(PRESENCE_TIMEOUT_SECONDS=5 without a negotiated heartbeat\\) or their offline grace ended \\(\\d+ ms\\)$`,
        ),
      ),
    ]);
    expect(logged(new RegExp(`^\\[ws\\] \\$disconnect ${ALICE} `))).toEqual([
      expect.stringMatching(/-> 200 OK; closed \(1000 Connection deleted, timed out by the sweep: silent for [5-9] s, longer than the connection allows, or the offline grace ended\) \(\d+ ms\)$/),
    ]);
  } finally {
    clearInterval(keepAlive);
    await Promise.all([alice.close(), bob.close()]);
  }
});

it('closes a connection that stays idle past the idle timeout with 1001', async () => {
  // Taken before the handshake, so the gateway's idle timer cannot have started earlier.
  const started = Date.now();
  const loner = await connectAs(LONER);
  const closed = await loner.closed;
  expect(closed.code).toBe(1001);
  expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  await app.settle();
  expect(logged(new RegExp(`^\\[ws\\] \\$disconnect ${LONER} `))).toEqual([
    expect.stringMatching(
      /-> 200 OK; closed \(1001 Going away, closed by the gateway: idle for 3 s with no frame, API Gateway's idle timeout \(WS_IDLE_TIMEOUT_SECONDS; a heartbeat every minute keeps a connection open\)\)/,
    ),
  ]);
});
