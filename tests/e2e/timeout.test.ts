/**
 * Timeouts through the local runtime: the template's state machine, run by aws-local-stepfunctions
 * every second (SWEEP_INTERVAL_SECONDS=1) with a 5 s presence timeout, and API Gateway's idle timeout
 * (shortened to 3 s here; 10 minutes by default).
 */
import type { Pool } from 'pg';
import type { LocalApp } from '../../local/app';
import { startTestApp } from './helpers/local-app';
import { befriend, createPool, seedUsers } from '../support/db';
import { TestClient, ofType } from './helpers/ws-client';

const ALICE = 'e2e-timeout-alice';
const BOB = 'e2e-timeout-bob';
const LONER = 'e2e-timeout-loner';

let app: LocalApp;
let pool: Pool;

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
  });
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

it('times out a silent user through the local state machine and tells the friends', async () => {
  const [alice, bob] = await Promise.all([connectAs(ALICE), connectAs(BOB)]);
  const started = Date.now();
  // Bob keeps heartbeating; Alice's socket stays open (WebSocket pings keep API Gateway's idle timer
  // at bay) but she sends no heartbeat, so only the presence timeout can take her offline.
  const keepAlive = setInterval(() => {
    bob.send({ action: 'heartbeat' });
    alice.socket.ping();
  }, 1000);
  try {
    expect(await bob.next(ofType('presence-timeout', ALICE), 15_000)).toStrictEqual({ type: 'presence-timeout', userId: ALICE });
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
    // The sweep also closes the timed-out user's socket, so the client reconnects.
    await expect(
      Promise.race([alice.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('still open')), 5000))]),
    ).resolves.toBeDefined();
    expect(bob.frames.filter(ofType('presence-timeout', BOB))).toEqual([]);
  } finally {
    clearInterval(keepAlive);
    await Promise.all([alice.close(), bob.close()]);
  }
});

it('closes a connection that stays idle past the idle timeout with 1001', async () => {
  const loner = await connectAs(LONER);
  const started = Date.now();
  const closed = await loner.closed;
  expect(closed.code).toBe(1001);
  expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
});
