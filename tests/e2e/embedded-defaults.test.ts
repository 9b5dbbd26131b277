/**
 * A fresh machine's `npm start`: no DATABASE_URL (embedded PGlite over the wire protocol, schema and
 * demo users seeded) and no REDIS_URL (a private redis-server from PATH on a free port). Only when
 * redis-server is missing does this suite fall back to the run's Redis, and it says so.
 */
import { createLocalApp, type LocalApp } from '../../local/app';
import { redisServerOnPath } from '../../local/backends/redis';
import { redisUrl, testRedisPrefix } from '../support/env';
import { TestClient, ofType } from './helpers/ws-client';

let app: LocalApp;
const spawnRedis = redisServerOnPath();

beforeAll(async () => {
  if (!spawnRedis) console.warn('redis-server is not on PATH: using REDIS_URL instead of a private redis-server');
  app = await createLocalApp({
    logLevel: 'SILENT',
    port: 0,
    wsPort: 0,
    redisUrl: spawnRedis ? undefined : redisUrl(),
    redisKeyPrefix: testRedisPrefix('e2e-embedded'),
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
});

it('runs on embedded defaults with the demo users', async () => {
  expect(app.backends.postgres).toMatch(/embedded PostgreSQL \(PGlite/);
  if (spawnRedis) expect(app.backends.redis).toMatch(/^redis-server \(pid \d+\) started on 127\.0\.0\.1:\d+/);

  const base = `http://127.0.0.1:${app.ports.rest}`;
  const config = (await (await fetch(`${base}/local/config`)).json()) as { users: Array<{ userId: string }> };
  expect(config.users.map((user) => user.userId)).toEqual(['alice', 'bob', 'carol', 'dave']);

  // The page's demo sign-in mints a token the stack accepts.
  const signIn = await fetch(`${base}/local/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId: 'bob' }),
  });
  const { token: bobToken } = (await signIn.json()) as { token: string };
  const ws = `ws://127.0.0.1:${app.ports.websocket}`;
  const [alice, bob] = await Promise.all([
    TestClient.connect(`${ws}?Authorization=${app.mintToken('alice')}`),
    TestClient.connect(`${ws}?Authorization=${bobToken}`),
  ]);
  try {
    alice.send({ action: 'update-presence', url: 'https://www.example.com/docs', title: 'Docs' });
    expect(await bob.next(ofType('update-presence', 'alice'))).toMatchObject({
      url: 'https://www.example.com/docs',
      domain: 'example.com',
    });

    const response = await fetch(`${base}/presence`, { headers: { Authorization: bobToken } });
    const body = (await response.json()) as { presenceArr: Array<{ userId: string; page: unknown }> };
    expect(body.presenceArr).toEqual([
      expect.objectContaining({ userId: 'alice', page: { url: 'https://www.example.com/docs', title: 'Docs', domain: 'example.com' } }),
    ]);
  } finally {
    await Promise.all([alice.close(), bob.close()]);
  }
});
