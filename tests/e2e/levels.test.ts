/**
 * Subscription levels, presence snapshots and the `at` ordering field, end to end through the local
 * gateway (the template's routes, the real handlers, Redis and PostgreSQL): levels filter pushes
 * exactly, a raised level is answered with a snapshot that merges into what GET /presence says and
 * is split into frames of at most 32 KB, and a client keeping the newest `at` per user ends with what
 * GET /presence says. Negative checks end with a frame the server answers on the same socket, sent once
 * nothing else is in flight, never with a sleep.
 */
import type { Pool } from 'pg';
import type { LocalApp } from '../../local/app';
import type { PresenceSnapshot } from '../../layers/core/model';
import { befriend, befriendAll, createPool, seedUsers, useSuiteDatabase } from '../support/db';
import { startTestApp } from './helpers/local-app';
import { getPresence, mergeSnapshot, PresenceView, shownBy } from './helpers/presence-view';
import { NOT_JSON_ANSWER, TestClient, ofType, type Frame } from './helpers/ws-client';
import { TestSockets } from './helpers/test-sockets';

type Level = 'pages' | 'status' | 'none';

const ALICE = 'e2e-levels-alice';
const BOB = 'e2e-levels-bob';
const VIEWER = 'e2e-levels-viewer';
const ONLINE = 'e2e-levels-online';
const GONE = 'e2e-levels-gone';
const NEVER = 'e2e-levels-never';
const RACER = 'e2e-levels-racer';
const RACE_WATCHER = 'e2e-levels-race-watcher';
const MOVER = 'e2e-levels-mover';
const WATCHER = 'e2e-levels-watcher';
const CROWDED = 'e2e-levels-crowded';
const CROWD = Array.from({ length: 300 }, (_, i) => `e2e-levels-crowd-${String(i).padStart(3, '0')}`);
/** Friends in the crowd who are online on a page with a title of the maximum length (512 characters). */
const CROWD_ONLINE = CROWD.slice(0, 20);
const MAX_FRAME_BYTES = 32 * 1024;

let app: LocalApp;
let pool: Pool;
const sockets = new TestSockets(() => app);

const connectAs = (userId: string): Promise<TestClient> => sockets.connectAs(userId);

const presenceOf = (userId: string): Promise<PresenceSnapshot> => getPresence(app.ports.rest, app.mintToken(userId));
const isSnapshotPart = (frame: Frame) => frame.type === 'presence-snapshot';
const subscribed = (level: Level) => ({ type: 'subscribed', level });

/**
 * Sends a subscribe and waits for `subscribed` and, when a snapshot is expected, for all its parts (their
 * count is in each part). Returns the parts. Whether an unexpected snapshot came is for the caller's later
 * round trip to show.
 */
async function subscribe(client: TestClient, level: Level, snapshot: boolean): Promise<Frame[]> {
  const mark = client.received.length;
  client.send({ action: 'subscribe', level });
  const frames = await client.receivedSince(mark, (since) => {
    if (!since.some(ofType('subscribed'))) return false;
    const parts = since.filter(isSnapshotPart);
    return !snapshot || (parts.length > 0 && parts.length === Number(parts[0]!.parts));
  });
  expect(frames.filter(ofType('subscribed'))).toEqual([subscribed(level)]);
  return frames.filter(isSnapshotPart);
}

/** A round trip that proves the socket got nothing more: a subscribe at the level it holds, answered by `subscribed` only. */
function levelRoundTrip(client: TestClient, level: Level): Promise<Frame> {
  return client.roundTrip({ action: 'subscribe', level }, ofType('subscribed'));
}

const frameBytes = (frame: Frame) => Buffer.byteLength(JSON.stringify(frame));

beforeAll(async () => {
  // A database of its own: one test locks a table of it.
  await useSuiteDatabase('e2e_levels');
  pool = createPool();
  await seedUsers(pool, [ALICE, BOB, VIEWER, ONLINE, GONE, NEVER, RACER, RACE_WATCHER, MOVER, WATCHER, CROWDED]);
  // Long names, so the crowd's profiles alone fill several frames.
  await seedUsers(
    pool,
    CROWD.map((id) => ({ id, firstName: `${id} ${'F'.repeat(180)}`, lastName: `${id} ${'L'.repeat(180)}` })),
  );
  await befriend(pool, ALICE, BOB);
  await befriendAll(pool, [
    [VIEWER, ONLINE],
    [GONE, VIEWER],
    [VIEWER, NEVER],
    [RACER, RACE_WATCHER],
    [MOVER, WATCHER],
    ...CROWD.map((id) => [CROWDED, id] as const),
  ]);
  app = await startTestApp('e2e-levels', {
    // No scheduled sweep: nothing pushes unless a test makes it.
    sweepIntervalSeconds: 3600,
    // Friend lists stay cached through the locked-table test, and its snapshot query waits out the lock.
    env: { FRIEND_CACHE_TTL_SECONDS: '600', PG_QUERY_TIMEOUT_MS: '10000' },
  });
}, 30_000);

afterEach(async () => {
  await sockets.closeAll();
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

it('filters pushes exactly: pages gets every change, status only came-online and presence-timeout, none nothing, and no own echo at status', async () => {
  const [bobPages, bobStatus, bobNone] = await Promise.all([connectAs(BOB), connectAs(BOB), connectAs(BOB)]);
  await subscribe(bobPages, 'pages', true);
  await subscribe(bobStatus, 'status', true);
  await subscribe(bobNone, 'none', false);
  const bobs = [bobPages, bobStatus, bobNone] as const;
  const [pagesMark, statusMark, noneMark] = bobs.map((client) => client.received.length) as [number, number, number];

  const connecting = Date.now();
  const alice = await connectAs(ALICE);
  const cameOnline = await bobPages.next(ofType('update-presence', ALICE));
  await bobStatus.next(ofType('update-presence', ALICE));
  const cameOnlineSeen = Date.now();
  // Her second device, at status: none of her own page updates may come back to it.
  const aliceStatus = await connectAs(ALICE);
  await subscribe(aliceStatus, 'status', true);
  const aliceMark = alice.received.length;
  const aliceStatusMark = aliceStatus.received.length;

  const pages = ['https://example.com/levels/one', 'https://example.com/levels/two'];
  const sentAt: number[] = [];
  const pushes: Frame[] = [];
  for (const url of pages) {
    sentAt.push(Date.now());
    alice.send({ action: 'update-presence', url, title: url });
    // Each page is awaited before the next, so neither is skipped as an intermediate page.
    pushes.push(await bobPages.next((frame) => frame.type === 'update-presence' && frame.url === url));
    await alice.next((frame) => frame.type === 'update-presence' && frame.url === url);
  }
  const pagesSeen = Date.now();
  await app.settle();
  expect(await levelRoundTrip(aliceStatus, 'status')).toEqual(subscribed('status'));
  expect(await alice.roundTrip()).toEqual(NOT_JSON_ANSWER);
  expect(aliceStatus.received.slice(aliceStatusMark)).toEqual([subscribed('status')]);
  expect(alice.received.slice(aliceMark)).toEqual([...pushes, NOT_JSON_ANSWER]);

  await aliceStatus.close();
  const closing = Date.now();
  await alice.close();
  const timeout = await bobPages.next(ofType('presence-timeout', ALICE));
  await bobStatus.next(ofType('presence-timeout', ALICE));
  const timeoutSeen = Date.now();
  await app.settle();
  for (const [client, level] of [
    [bobPages, 'pages'],
    [bobStatus, 'status'],
    [bobNone, 'none'],
  ] as const)
    expect(await levelRoundTrip(client, level)).toEqual(subscribed(level));

  const hidden = { url: '', title: '', domain: '', latestUrl: '', latestTitle: '', latestDomain: '' };
  expect(cameOnline).toStrictEqual({ type: 'update-presence', userId: ALICE, ...hidden, at: expect.any(Number) });
  expect(pushes).toStrictEqual(
    pages.map((url) => ({
      type: 'update-presence',
      userId: ALICE,
      url,
      title: url,
      domain: 'example.com',
      latestUrl: url,
      latestTitle: url,
      latestDomain: 'example.com',
      at: expect.any(Number),
    })),
  );
  expect(timeout).toStrictEqual({ type: 'presence-timeout', userId: ALICE, at: expect.any(Number) });
  expect(bobPages.received.slice(pagesMark)).toEqual([cameOnline, ...pushes, timeout, subscribed('pages')]);
  expect(bobStatus.received.slice(statusMark)).toEqual([cameOnline, timeout, subscribed('status')]);
  expect(bobNone.received.slice(noneMark)).toEqual([subscribed('none')]);

  // `at` is when the state began, on the server's clock (this machine's): within the window the test saw it happen.
  expect(cameOnline.at).toBeGreaterThanOrEqual(connecting);
  expect(cameOnline.at).toBeLessThanOrEqual(cameOnlineSeen);
  pushes.forEach((push, i) => {
    expect(push.at).toBeGreaterThanOrEqual(sentAt[i]!);
    expect(push.at).toBeLessThanOrEqual(pagesSeen);
  });
  expect(timeout.at).toBeGreaterThanOrEqual(closing);
  expect(timeout.at).toBeLessThanOrEqual(timeoutSeen);
});

it('answers subscribed, then a snapshot equal to GET /presence when the level is raised (or first set), and only subscribed when it is lowered', async () => {
  const online = await connectAs(ONLINE);
  online.send({ action: 'update-presence', url: 'https://en.wikipedia.org/wiki/Snapshot', title: 'Snapshot - Wikipedia' });
  const echo = await online.next(ofType('update-presence', ONLINE));
  const gone = await connectAs(GONE);
  await gone.close();
  await app.settle();

  const viewer = await connectAs(VIEWER);
  await app.settle();
  const mark = viewer.received.length;
  const expected: Frame[] = [];
  /** One subscribe, checked against GET /presence and the meter: one message for `subscribed`, one per snapshot part. */
  const step = async (level: Level, raised: boolean): Promise<void> => {
    const before = app.meter.snapshot().apiGateway.messagesOut;
    const parts = await subscribe(viewer, level, raised);
    await app.settle();
    expect(app.meter.snapshot().apiGateway.messagesOut - before).toBe(1 + parts.length);
    expected.push(subscribed(level), ...parts);
    if (!raised) return;
    expect(parts).toHaveLength(1);
    expect(mergeSnapshot(parts)).toStrictEqual(await presenceOf(VIEWER));
  };
  await step('none', false); // a first subscribe at none: nothing to show
  await step('status', true);
  await step('pages', true);
  await step('status', false);
  await step('none', false);
  await step('pages', true); // none -> pages at once
  expect(await viewer.roundTrip()).toEqual(NOT_JSON_ANSWER);
  expect(viewer.received.slice(mark)).toEqual([...expected, NOT_JSON_ANSWER]);

  // What the snapshot holds: the caller, each friend as GET /presence shows them (online with a page,
  // offline since a moment, never seen), with `at` the time of that state, and their profiles.
  const merged = mergeSnapshot(expected.filter(isSnapshotPart).slice(-1));
  const byId = Object.fromEntries(merged.presenceArr.map((entry) => [entry.userId, entry]));
  expect(Object.keys(byId).sort()).toEqual([GONE, NEVER, ONLINE].sort());
  expect(byId[ONLINE]).toMatchObject({ page: { url: 'https://en.wikipedia.org/wiki/Snapshot', domain: 'wikipedia.org' }, lastSeenAt: null });
  expect(byId[ONLINE]!.at).toBe(echo.at); // the push that told of this state carried the same at
  expect(byId[GONE]).toMatchObject({ page: null, latestPage: null, lastActiveAt: null });
  expect(byId[GONE]!.at).toBe(Date.parse(byId[GONE]!.lastSeenAt!));
  expect(byId[NEVER]).toStrictEqual({ userId: NEVER, page: null, latestPage: null, lastActiveAt: null, lastSeenAt: null, at: 0 });
  expect(Object.keys(merged.userInfoMap).sort()).toEqual([GONE, NEVER, ONLINE, VIEWER].sort());

  // A connection's first subscribe at pages (its default level) is answered with a snapshot too.
  const second = await connectAs(VIEWER);
  const parts = await subscribe(second, 'pages', true);
  expect(mergeSnapshot(parts)).toStrictEqual(await presenceOf(VIEWER));
});

it('splits a large snapshot into frames of at most 32 KB, each billed as one message', async () => {
  const title = 'T'.repeat(512);
  const crowd = await Promise.all(CROWD_ONLINE.map((id) => connectAs(id)));
  await Promise.all(
    crowd.map(async (client, i) => {
      client.send({ action: 'update-presence', url: `https://example.com/crowd/${i}/${'p'.repeat(400)}`, title });
      await client.next(ofType('update-presence', CROWD_ONLINE[i]));
    }),
  );
  const crowded = await connectAs(CROWDED);
  await app.settle();

  const before = app.meter.snapshot().apiGateway;
  const parts = await subscribe(crowded, 'pages', true);
  await app.settle();
  const after = app.meter.snapshot().apiGateway;
  const expected = await presenceOf(CROWDED);

  expect(expected.presenceArr).toHaveLength(CROWD.length);
  expect(expected.presenceArr.filter((entry) => entry.page?.title === title)).toHaveLength(CROWD_ONLINE.length);
  // Several frames, none over API Gateway's 32 KB, and each but the last within one entry of it: as few
  // billed messages as the limit allows (an entry here is at most about 2.5 KB with its profile).
  const sizes = parts.map(frameBytes);
  expect(parts.length).toBeGreaterThanOrEqual(Math.max(2, Math.ceil(frameBytes({ type: 'presence-snapshot', ...expected }) / MAX_FRAME_BYTES)));
  for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan(MAX_FRAME_BYTES - 4096);
  expect(mergeSnapshot(parts)).toStrictEqual(expected);
  expect({ messagesIn: after.messagesIn - before.messagesIn, messagesOut: after.messagesOut - before.messagesOut }).toEqual({
    messagesIn: 1,
    messagesOut: 1 + parts.length,
  });
});

/** Completed invocations of one function so far (the meter counts each when it ends). */
const invocations = (logicalId: string) => app.meter.snapshot().lambda[logicalId]?.invocations ?? 0;

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A friend's page update that races a raised level's snapshot, with the race's outcome made certain:
 * the snapshot's profile query waits on a lock of user_table that the test holds (in this suite's own
 * database) while the friend's update is stored and fanned out to the end; then the lock goes and the
 * snapshot is sent. Returns what the watcher received from its subscribe on (the round trip's answer
 * left out), and the racer's pages before and during the race.
 */
async function raceSnapshotWithUpdate(): Promise<{ frames: Frame[]; before: string; during: string }> {
  const [before, during] = ['https://example.com/race/before', 'https://example.com/race/during'];
  const racer = await connectAs(RACER);
  racer.send({ action: 'update-presence', url: before, title: 'Before' });
  await racer.next((frame) => frame.type === 'update-presence' && frame.url === before);
  const watcher = await connectAs(RACE_WATCHER);
  await subscribe(watcher, 'none', false);
  await app.settle();

  const mark = watcher.received.length;
  const lock = await pool.connect();
  try {
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE user_table IN ACCESS EXCLUSIVE MODE');
    watcher.send({ action: 'subscribe', level: 'pages' });
    await watcher.receivedSince(mark, (since) => since.some(ofType('subscribed')));
    const updates = invocations('UpdatePresenceFunction');
    racer.send({ action: 'update-presence', url: during, title: 'During' });
    await until(() => invocations('UpdatePresenceFunction') > updates, 'the racing update');
  } finally {
    await lock.query('ROLLBACK');
    lock.release();
  }
  await watcher.receivedSince(mark, (since) => {
    const parts = since.filter(isSnapshotPart);
    return parts.length > 0 && parts.length === Number(parts[0]!.parts);
  });
  await app.settle();
  expect(await levelRoundTrip(watcher, 'pages')).toEqual(subscribed('pages'));
  return { frames: watcher.received.slice(mark, -1), before, during };
}

it('keeps a client right when a push overtakes a snapshot: the snapshot is older by its at, and the newest per user is what GET /presence says', async () => {
  const { frames, during } = await raceSnapshotWithUpdate();
  const parts = frames.filter(isSnapshotPart);
  const push = frames.find(ofType('update-presence', RACER));
  expect(push).toMatchObject({ url: during, at: expect.any(Number) });
  const snapshotEntry = mergeSnapshot(parts).presenceArr.find((entry) => entry.userId === RACER)!;
  expect(snapshotEntry.at).toBeLessThanOrEqual(push!.at as number);

  const view = new PresenceView();
  for (const frame of frames) {
    if (frame === parts[0]) view.applySnapshot(mergeSnapshot(parts));
    view.applyPush(frame);
  }
  const truth = (await presenceOf(RACE_WATCHER)).presenceArr.find((entry) => entry.userId === RACER)!;
  expect(truth.page?.url).toBe(during);
  expect(view.shown(RACER)).toEqual({ ...shownBy(truth), at: truth.at });
});

it('puts a numeric at on every push: a client keeping the newest per user ends with what GET /presence says', async () => {
  const watcher = await connectAs(WATCHER);
  const view = new PresenceView();
  view.applySnapshot(mergeSnapshot(await subscribe(watcher, 'pages', true)));
  const mark = watcher.received.length;
  const first = await presenceOf(WATCHER);

  const steps: Array<() => Promise<void>> = [];
  let mover = await connectAs(MOVER);
  await watcher.next(ofType('update-presence', MOVER)); // came online
  const page = (url: string) => async () => {
    mover.send({ action: 'update-presence', url, title: url });
    await watcher.next((frame) => frame.type === 'update-presence' && frame.userId === MOVER && frame.url === url);
  };
  steps.push(
    page('https://example.com/at/a'),
    page(''),
    async () => {
      // A snapshot in the middle (none, then pages again): the client keeps what is newest of it and the pushes.
      await subscribe(watcher, 'none', false);
      view.applySnapshot(mergeSnapshot(await subscribe(watcher, 'pages', true)));
    },
    page('https://example.com/at/b'),
    async () => {
      await mover.close();
      await watcher.next(ofType('presence-timeout', MOVER));
    },
    async () => {
      mover = await connectAs(MOVER);
      await watcher.next((frame) => frame.type === 'update-presence' && frame.userId === MOVER && frame.url === '');
    },
    page('https://example.com/at/c'),
  );
  for (const step of steps) await step();
  await app.settle();
  expect(await watcher.roundTrip()).toEqual(NOT_JSON_ANSWER);

  const pushes = watcher.received.slice(mark).filter((frame) => frame.type === 'update-presence' || frame.type === 'presence-timeout');
  expect(pushes.map((frame) => [frame.type, frame.url])).toEqual([
    ['update-presence', ''], // came online
    ['update-presence', 'https://example.com/at/a'],
    ['update-presence', ''],
    ['update-presence', 'https://example.com/at/b'],
    ['presence-timeout', undefined],
    ['update-presence', ''],
    ['update-presence', 'https://example.com/at/c'],
  ]);
  const times = pushes.map((frame) => frame.at);
  for (const at of times) expect(typeof at).toBe('number');
  expect([...(times as number[])].sort((a, b) => a - b)).toEqual(times);
  for (const frame of watcher.received.slice(mark)) view.applyPush(frame);

  const now = await presenceOf(WATCHER);
  const entry = now.presenceArr.find((candidate) => candidate.userId === MOVER)!;
  expect(view.shown(MOVER)).toEqual({ ...shownBy(entry), at: entry.at });
  expect(entry.at).toBe(times.at(-1));
  // The snapshot taken before all this is older than everything since: a client that gets it late keeps what it has.
  view.applySnapshot(first);
  expect(view.shown(MOVER)).toEqual({ ...shownBy(entry), at: entry.at });
  expect(view.discarded).toBeGreaterThan(0);
});
