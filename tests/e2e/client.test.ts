/**
 * The reference client (@presence-api/client) against the local stack, on a private redis-server
 * the suite can kill: it comes back with the right friend list after Redis restarts empty and after
 * the gateway drops every socket, and across connection caps of a few seconds a friend watching sees
 * no presence-timeout at all. Each fault's time to resynchronised (state open, friends right) is
 * printed; the figures depend on the clients' heartbeat (HEARTBEAT_SECONDS below: a client learns
 * that Redis lost its connection on its next message).
 */
import { createPresenceClient, type PresenceClient, type PresenceClientOptions, type PresenceEntry } from '@presence-api/client';
import type { Pool } from 'pg';
import WebSocket from 'ws';
import type { LocalApp } from '../../local/app';
import { demoSeedSql } from '../../local/backends/demo-data';
import { createPool } from '../support/db';
import { describeWithRedisServer } from '../support/redis-cluster';
import { PrivateRedis } from '../support/redis-server';
import { startTestApp } from './helpers/local-app';

/** The stack's connection cap (API Gateway's is 2 hours): short, so the suite sees several renewals. */
const CAP_SECONDS = 8;
const HEARTBEAT_SECONDS = 2;

interface Watched {
  client: PresenceClient;
  /** Every frame the client saw on its connection in use. */
  frames: Array<Record<string, unknown>>;
  renewals: number;
  resyncs: number[];
}

describeWithRedisServer()('the reference client against the local stack', () => {
  let redis: PrivateRedis;
  let app: LocalApp;
  let pool: Pool;
  const log: string[] = [];
  const clients: Watched[] = [];

  beforeAll(async () => {
    pool = createPool();
    await pool.query(demoSeedSql());
    redis = await PrivateRedis.start();
    app = await startTestApp('e2e-client', {
      redisUrl: redis.url,
      maxConnectionSeconds: CAP_SECONDS,
      sweepIntervalSeconds: 3600,
      log: (line) => log.push(line),
    });
  }, 60_000);

  afterAll(async () => {
    for (const watched of clients) watched.client.stop();
    await app?.close();
    await redis?.stop();
    await pool?.end();
  });

  afterEach(async () => {
    for (const watched of clients.splice(0)) watched.client.stop();
    await app.settle();
  });

  function connect(userId: string, options: Partial<PresenceClientOptions> = {}): Watched {
    const client = createPresenceClient({
      webSocketUrl: app.urls.websocket.replace('localhost', '127.0.0.1'),
      restUrl: app.urls.rest.replace('localhost', '127.0.0.1'),
      getToken: () => app.mintToken(userId),
      WebSocket,
      heartbeatSeconds: HEARTBEAT_SECONDS,
      maxConnectionSeconds: CAP_SECONDS,
      backoffBaseMs: 500,
      backoffCapMs: 5000,
      ...options,
    });
    const watched: Watched = { client, frames: [], renewals: 0, resyncs: [] };
    client.on('frame', (frame) => watched.frames.push(frame));
    client.on('synced', ({ renewal }) => {
      if (renewal) watched.renewals += 1;
      else watched.resyncs.push(Date.now());
    });
    clients.push(watched);
    client.start();
    return watched;
  }

  const pageOf = (friends: PresenceEntry[], userId: string) => {
    const friend = friends.find((entry) => entry.userId === userId);
    return friend ? (friend.page?.url ?? null) : undefined;
  };

  /** Polls (with timers, so sockets keep flowing) until done() holds; returns when, in ms since `since`. */
  async function until(done: () => boolean, what: string, since: number, timeoutMs = 20_000): Promise<number> {
    while (!done()) {
      if (Date.now() - since > timeoutMs) throw new Error(`still waiting for ${what} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return Date.now() - since;
  }

  /** alice and bob online, each sharing a page, each seeing the other's. */
  async function aliceAndBob(): Promise<[Watched, Watched]> {
    const alice = connect('alice');
    const bob = connect('bob');
    alice.client.setPage('https://en.wikipedia.org/wiki/Alice', 'Alice - Wikipedia');
    bob.client.setPage('https://github.com/aws/aws-sam-cli', 'aws-sam-cli');
    await until(() => synced(alice, bob), 'alice and bob to see each other', Date.now());
    return [alice, bob];
  }

  /** Both open, and each one's list right: the other online on their page, dave offline. */
  const synced = (alice: Watched, bob: Watched) =>
    alice.client.state === 'open' &&
    bob.client.state === 'open' &&
    pageOf(alice.client.friends(), 'bob') === 'https://github.com/aws/aws-sam-cli' &&
    pageOf(alice.client.friends(), 'dave') === null &&
    pageOf(bob.client.friends(), 'alice') === 'https://en.wikipedia.org/wiki/Alice';

  it('connects with the token in Sec-WebSocket-Protocol too, and reads the snapshot', async () => {
    const dave = connect('dave', { tokenIn: 'protocol' });
    await until(() => dave.client.state === 'open', 'dave to connect', Date.now());
    expect(dave.client.friends().map((friend) => friend.userId)).toEqual(['alice']);
    expect(dave.client.me()?.userId).toBe('dave');
  });

  it('resynchronises after Redis is killed and restarted empty', async () => {
    const [alice, bob] = await aliceAndBob();
    const before = [alice.resyncs.length, bob.resyncs.length];
    const killedAt = Date.now();
    await redis.restart(); // SIGKILL, then the same port, empty
    const restartedAt = Date.now();
    // Each client's next heartbeat meets "Connection is not registered; reconnect": it reconnects,
    // reads GET /presence, and sends its page again, so each sees the other's page once more.
    const ms = await until(
      () => alice.resyncs.length > before[0]! && bob.resyncs.length > before[1]! && synced(alice, bob),
      'the resync',
      restartedAt,
    );
    expect(alice.frames).toContainEqual({ type: 'error', message: 'Connection is not registered; reconnect' });
    console.log(
      `Redis killed and restarted empty: both clients resynchronised ${ms} ms after the restart (${Date.now() - killedAt} ms after the kill; ` +
        `heartbeat every ${HEARTBEAT_SECONDS} s, redis restart took ${restartedAt - killedAt} ms)`,
    );
  });

  it('resynchronises after the gateway drops every socket (1001)', async () => {
    const [alice, bob] = await aliceAndBob();
    const before = [alice.resyncs.length, bob.resyncs.length];
    const droppedAt = Date.now();
    expect(app.dropConnections()).toBeGreaterThanOrEqual(2);
    const ms = await until(
      () => alice.resyncs.length > before[0]! && bob.resyncs.length > before[1]! && synced(alice, bob),
      'the resync',
      droppedAt,
    );
    console.log(`gateway dropped every socket: both clients resynchronised ${ms} ms after the drop (backoff base 500 ms)`);
  });

  it(`renews before a ${CAP_SECONDS} s connection cap, so a friend watching sees no presence-timeout`, async () => {
    const [alice, bob] = await aliceAndBob();
    const watchFrom = bob.frames.length;
    const logFrom = log.length;
    // Several caps' worth: each client renews about every 0.85-0.95 x 8 s.
    const started = Date.now();
    await until(() => alice.renewals >= 4 && bob.renewals >= 4, 'four renewals each', started, 60_000);
    // A later page of alice's reaches bob: the quiet period is over, nothing more is on its way.
    alice.client.setPage('https://en.wikipedia.org/wiki/Renewal', 'Renewal - Wikipedia');
    await until(() => pageOf(bob.client.friends(), 'alice') === 'https://en.wikipedia.org/wiki/Renewal', 'the last page', Date.now());
    const seen = bob.frames.slice(watchFrom).filter((frame) => frame.userId === 'alice');
    const timeouts = seen.filter((frame) => frame.type === 'presence-timeout');
    const cameOnline = seen.filter((frame) => frame.type === 'update-presence' && frame.url === '' && frame.title === '');
    expect({ timeouts, cameOnline }).toEqual({ timeouts: [], cameOnline: [] });
    expect(alice.client.state).toBe('open');
    // No connection of theirs reached the cap: every one was closed by the client once its successor was in use.
    const closes = log.slice(logFrom).filter((line) => /^\[ws\] \$disconnect (alice|bob) /.test(line));
    expect(closes.filter((line) => /open for \d+ s, API Gateway's maximum connection time/.test(line))).toEqual([]);
    expect(closes.filter((line) => /closed \(1000 renewed, closed by the client\)/.test(line)).length).toBeGreaterThanOrEqual(8);
    console.log(
      `connection cap ${CAP_SECONDS} s over ${((Date.now() - started) / 1000).toFixed(1)} s: alice renewed ${alice.renewals} times, ` +
        `bob ${bob.renewals}; presence-timeout pushes about alice seen by bob: ${timeouts.length}, came-online pushes: ${cameOnline.length}`,
    );
  }, 90_000);
});
