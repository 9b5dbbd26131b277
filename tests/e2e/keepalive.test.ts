/**
 * The keepalive route through the local runtime, which reads it from template.yaml as a MOCK
 * integration answered by the gateway itself: a keep-alive costs one message in and nothing else (no
 * function, no Redis command, no frame back); it keeps a socket open past the idle timeout, yet a user
 * who sends nothing but keep-alives is still timed out by the sweep.
 */
import type { Pool } from 'pg';
import type { LocalApp } from '../../local/app';
import type { MeterSnapshot } from '../../local/meter';
import { befriend, createPool, seedUsers } from '../support/db';
import { startTestApp } from './helpers/local-app';
import { TestClient, ofType } from './helpers/ws-client';
import { TestSockets } from './helpers/test-sockets';

const SOLO = 'e2e-keepalive-solo';
const ALICE = 'e2e-keepalive-alice';
const BOB = 'e2e-keepalive-bob';
const IDLE = 'e2e-keepalive-idle';

// The presence timeout (5 s, the handlers' minimum) is shorter than the idle timeout: once a silent
// socket opened after Alice's has been closed for idleness, her presence timeout has passed too.
const PRESENCE_TIMEOUT_SECONDS = 5;
const IDLE_TIMEOUT_SECONDS = 7;
const NOT_JSON = { type: 'error', message: 'Message is not valid JSON' };

let app: LocalApp;
let pool: Pool;
const log: string[] = [];
const sockets = new TestSockets(() => app);

beforeAll(async () => {
  pool = createPool();
  await seedUsers(pool, [SOLO, ALICE, BOB, IDLE]);
  await befriend(pool, ALICE, BOB);
  app = await startTestApp('e2e-keepalive', {
    presenceTimeoutSeconds: PRESENCE_TIMEOUT_SECONDS,
    idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS,
    // No scheduled sweep: the only sweep is the one the test runs.
    sweepIntervalSeconds: 3600,
    log: (line) => log.push(line),
  });
}, 30_000);

afterEach(async () => {
  await sockets.closeAll();
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

const connectAs = (userId: string): Promise<TestClient> => sockets.connectAs(userId);

function invocations(snapshot: MeterSnapshot): Record<string, number> {
  return Object.fromEntries(Object.entries(snapshot.lambda).map(([id, fn]) => [id, fn.invocations]));
}

/** What the stack did between two readings: messages each way, invocations per function, Redis commands. */
function delta(before: MeterSnapshot, after: MeterSnapshot) {
  const [was, is] = [invocations(before), invocations(after)];
  return {
    messagesIn: after.apiGateway.messagesIn - before.apiGateway.messagesIn,
    messagesOut: after.apiGateway.messagesOut - before.apiGateway.messagesOut,
    invocations: Object.fromEntries(Object.keys(is).map((id) => [id, is[id]! - (was[id] ?? 0)])),
    redisCommands: after.redis.commands - before.redis.commands,
  };
}

/** Waits until $default has finished this many invocations in all, then for the gateway to be idle. */
async function defaultInvocationsReach(count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((app.meter.snapshot().lambda.DefaultFunction?.invocations ?? 0) < count) {
    if (Date.now() > deadline) throw new Error(`DefaultFunction did not reach ${count} invocations within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await app.settle();
}

/**
 * Sends a frame $default refuses and returns the first frame that comes back: its error frame, unless
 * something sent earlier on this socket was answered first. Frames on one socket are handled in order,
 * so once it is back everything sent before it has been handled.
 */
async function refusedFrameRoundTrip(client: TestClient): Promise<unknown> {
  const before = app.meter.snapshot().lambda.DefaultFunction?.invocations ?? 0;
  client.send('not json');
  const first = await client.next(() => true);
  await defaultInvocationsReach(before + 1);
  return first;
}

it('costs one message in and nothing else: no function, no Redis command, no frame back', async () => {
  const solo = await connectAs(SOLO);
  await app.settle();
  // Warm: the first refused frame loads $default's clients; the next one is the baseline.
  expect(await refusedFrameRoundTrip(solo)).toEqual(NOT_JSON);
  const start = app.meter.snapshot();
  expect(await refusedFrameRoundTrip(solo)).toEqual(NOT_JSON);
  const baseline = app.meter.snapshot();

  const KEEPALIVES = 3;
  for (let i = 0; i < KEEPALIVES; i += 1) solo.send({ action: 'keepalive' });
  // The first frame back answers the refused frame sent after the keep-alives: they got no reply.
  expect(await refusedFrameRoundTrip(solo)).toEqual(NOT_JSON);
  const after = app.meter.snapshot();
  expect(solo.frames).toEqual([]);

  const refusedOnly = delta(start, baseline);
  const withKeepalives = delta(baseline, after);
  // The baseline shows what the meter sees of one refused frame, so a keep-alive that invoked a
  // function or touched Redis would show as a difference.
  expect(refusedOnly.invocations.DefaultFunction).toBe(1);
  expect(refusedOnly.redisCommands).toBeGreaterThan(0);
  expect(refusedOnly.messagesOut).toBe(1);
  expect(withKeepalives).toEqual({ ...refusedOnly, messagesIn: refusedOnly.messagesIn + KEEPALIVES });

  const keepaliveLines = log.filter((line) => line.startsWith(`[ws] keepalive ${SOLO} `));
  expect(keepaliveLines).toHaveLength(KEEPALIVES);
  for (const line of keepaliveLines) expect(line).toMatch(/ -> MOCK 200 OK \(\d+ ms\)$/);
});

it('keeps a socket open past the idle timeout without keeping its user online', async () => {
  const alice = await connectAs(ALICE);
  const bob = await connectAs(BOB);
  // Opened after Alice's: without her keep-alives, her socket would go idle before this one.
  const idle = await connectAs(IDLE);
  // Alice sends only keep-alives, Bob heartbeats: both keep their sockets busy.
  const traffic = setInterval(() => {
    alice.send({ action: 'keepalive' });
    bob.send({ action: 'heartbeat' });
  }, 500);
  try {
    expect((await idle.closed).code).toBe(1001);
  } finally {
    clearInterval(traffic);
  }
  // The idle timeout has passed for Alice's socket too, and it still answers.
  alice.send('not json');
  expect(await alice.next(ofType('error'))).toEqual(NOT_JSON);
  await app.settle();

  // Alice's keep-alives did not refresh her presence: the sweep times her out (and only her: Bob's
  // heartbeats did), tells Bob and closes her socket.
  await app.sweep();
  expect(await bob.next(ofType('presence-timeout', ALICE))).toMatchObject({ type: 'presence-timeout', userId: ALICE });
  expect((await alice.closed).code).toBe(1000);
  // One user timed out (the report names them when it can): Alice, whom the push above announced.
  const swept = log.filter((line) => line.startsWith('[sweep] timed out '));
  expect(swept).toEqual([
    expect.stringMatching(new RegExp(`^\\[sweep\\] timed out (${ALICE} \\(silent \\d+ s\\)|1 user): 1 friend told, 1 socket closed;`)),
  ]);
});
