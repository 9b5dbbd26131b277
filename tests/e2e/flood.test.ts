/**
 * A hostile or broken client floods its WebSocket with update-presence frames, against the whole local
 * stack (real sockets, the template's routes, the real handlers, Redis and PostgreSQL), with a cold
 * friend cache and the template's default budgets. Nothing may crash or answer 5xx, the friend list is
 * read once, pushes to friends stay within the user's fan-out budget and arrive in order, and the last
 * page the server accepted is what friends end up with and what GET /presence shows.
 */
import type { Pool } from 'pg';
import type { LocalApp } from '../../local/app';
import { getRuntime } from '../../layers/core/runtime';
import { befriend, createPool, seedUsers } from '../support/db';
import { startTestApp } from './helpers/local-app';
import { NOT_JSON_ANSWER, TestClient, sleep, type Frame } from './helpers/ws-client';
import { TestSockets } from './helpers/test-sockets';

const WATCHER = 'e2e-flood-watcher';
const FLOODERS = ['e2e-flood-a', 'e2e-flood-b'];
// The template's defaults (template.yaml Parameters).
const MESSAGE_BUDGET = 120;
const FLOOD_CLOSE_AFTER = 120;
const FANOUT_BURST = 10;
const FANOUT_INTERVAL_MS = 2000;

let app: LocalApp;
let pool: Pool;
const sockets = new TestSockets(() => app);
const contextQueries = new Map<string, number>();

const connectAs = (userId: string): Promise<TestClient> => sockets.connectAs(userId);

const pageUrl = (i: number) => `https://example.com/flood/${i}`;
const indexOf = (url: unknown) => Number(String(url).split('/').pop());

async function pageShownBy(viewer: string, userId: string): Promise<string | undefined> {
  const response = await fetch(`http://127.0.0.1:${app.ports.rest}/presence`, { headers: { Authorization: app.mintToken(viewer) } });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { presenceArr: { userId: string; page: { url: string } | null }[] };
  return body.presenceArr.find((entry) => entry.userId === userId)?.page?.url;
}

/** Completed invocations of one function so far (the meter counts each when it ends). */
const invocations = (logicalId: string) => app.meter.snapshot().lambda[logicalId]?.invocations ?? 0;

/** Waits until this many invocations of the function have ended in all (polled: an event count, not a quiet period). */
async function invocationsReach(logicalId: string, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (invocations(logicalId) < count) {
    if (Date.now() > deadline) throw new Error(`${logicalId} did not reach ${count} invocations (at ${invocations(logicalId)})`);
    await sleep(20);
  }
}

/**
 * Runs the sweep (which flushes deferred pages) to its end; called twice because the first call may
 * join a scheduled run that started before the flood ended. Then every handler has ended, so all that
 * was pushed has been posted.
 */
async function sweepToTheEnd(): Promise<void> {
  await app.settle();
  await app.sweep();
  await app.sweep();
  await app.settle();
}

beforeAll(async () => {
  pool = createPool();
  await seedUsers(pool, [WATCHER, ...FLOODERS].map((id) => ({ id, shareMode: 'default_all' as const })));
  for (const flooder of FLOODERS) await befriend(pool, flooder, WATCHER);
  app = await startTestApp('e2e-flood');
  // Count the friend-list reads per user on the handlers' own pool (the one-query-per-miss rule).
  const runtime = getRuntime();
  const query = runtime.pool.query.bind(runtime.pool);
  runtime.pool.query = (text: string, values?: unknown[]) => {
    if (text.includes('share_mode')) contextQueries.set(String(values?.[0]), (contextQueries.get(String(values?.[0])) ?? 0) + 1);
    return query(text, values);
  };
});

afterAll(async () => {
  await sockets.closeAll();
  await app?.close();
  await pool?.end();
});

function flood(client: TestClient, frames: number): number {
  const started = Date.now();
  for (let i = 1; i <= frames; i++) client.send({ action: 'update-presence', url: pageUrl(i), title: `Page ${i}` });
  return started;
}

function pushesOf(watcher: TestClient, userId: string): number[] {
  return watcher.frames.filter((frame: Frame) => frame.type === 'update-presence' && frame.userId === userId).map((frame) => indexOf(frame.url));
}

function expectWithinFanOutBudget(pushes: number[], startedAt: number, flushes: number): void {
  const allowed = FANOUT_BURST + Math.ceil((Date.now() - startedAt) / FANOUT_INTERVAL_MS) + flushes;
  expect(pushes.length).toBeLessThanOrEqual(allowed);
  expect([...pushes].sort((a, b) => a - b)).toEqual(pushes); // in order
  expect(new Set(pushes).size).toBe(pushes.length);
}

it('1,000 frames at once: one friend-list query, budgeted pushes in order, the connection closed, the last accepted page everywhere', async () => {
  const [flooder] = FLOODERS as [string];
  const watcher = await connectAs(WATCHER);
  const phone = await connectAs(flooder); // a second device keeps the flooder online after the flooding socket is closed
  const socket = await connectAs(flooder);

  const startedAt = flood(socket, 1000);
  const closed = await socket.closed;
  expect(closed.code).toBe(1000);
  await sweepToTheEnd(); // flushes the deferred latest page
  // A frame answered on each socket comes after every push sent to it before.
  expect(await watcher.roundTrip()).toEqual(NOT_JSON_ANSWER);
  expect(await phone.roundTrip()).toEqual(NOT_JSON_ANSWER);

  const errors = socket.frames.filter((frame) => frame.type === 'error');
  expect(errors.length).toBeGreaterThanOrEqual(1);
  expect(errors.every((frame) => frame.message === 'rate-limited')).toBe(true);
  expect([...socket.frames, ...phone.frames, ...watcher.frames].some((frame) => /Internal|unavailable/.test(String(frame.message)))).toBe(false);
  expect(contextQueries.get(flooder)).toBe(1);

  const pushes = pushesOf(watcher, flooder);
  expectWithinFanOutBudget(pushes, startedAt, 1);
  const last = pushes.at(-1)!;
  // Pages over the message budget were still stored; the ones after the close were refused.
  expect(last).toBeGreaterThan(MESSAGE_BUDGET);
  expect(last).toBeLessThanOrEqual(MESSAGE_BUDGET + FLOOD_CLOSE_AFTER);
  expect(await pageShownBy(WATCHER, flooder)).toBe(pageUrl(last));
  expect(pushesOf(phone, flooder).at(-1)).toBe(last);
});

it('a flood over the message budget but short of closing: every page stored, the final one reaches friends with the next sweep', async () => {
  const [, flooder] = FLOODERS as [string, string];
  const watcher = await connectAs(WATCHER);
  const socket = await connectAs(flooder);
  const frames = MESSAGE_BUDGET + FLOOD_CLOSE_AFTER - 20;

  const updates = invocations('UpdatePresenceFunction');
  const startedAt = flood(socket, frames);
  await invocationsReach('UpdatePresenceFunction', updates + frames);
  await app.settle();
  expect(await pageShownBy(WATCHER, flooder)).toBe(pageUrl(frames));
  await sweepToTheEnd();
  expect(await watcher.roundTrip()).toEqual(NOT_JSON_ANSWER);
  // Over its budget the flooding socket's frames go unanswered, except a subscribe (its level is set and
  // confirmed), which shows that every frame sent to it before has arrived.
  expect(await socket.roundTrip({ action: 'subscribe', level: 'pages' }, (frame) => frame.type === 'subscribed')).toEqual({
    type: 'subscribed',
    level: 'pages',
  });

  expect(socket.frames.filter((frame) => frame.type === 'error')).toEqual([{ type: 'error', message: 'rate-limited' }]);
  const pushes = pushesOf(watcher, flooder);
  expectWithinFanOutBudget(pushes, startedAt, 1);
  expect(pushes.at(-1)).toBe(frames);
  expect(socket.socket.readyState).toBe(socket.socket.OPEN);
});
