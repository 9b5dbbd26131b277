/**
 * `npm start` on a machine with neither REDIS_URL nor redis-server: the stack falls back to the in-process
 * Redis emulation (forced here with LOCAL_REDIS=emulator, as a machine with redis-server would otherwise
 * use it), announces it, and the handlers' Lua scripts run on it end to end.
 */
import { createLocalApp, type LocalApp } from '../../local/app';
import { EMULATION_WARNING, parseRedisMode } from '../../local/backends/redis';
import { TestClient, ofType } from './helpers/ws-client';

let app: LocalApp;

beforeAll(async () => {
  app = await createLocalApp({ logLevel: 'SILENT', port: 0, wsPort: 0, redisMode: parseRedisMode('emulator') });
}, 60_000);

afterAll(async () => {
  await app?.close();
});

it('runs on the emulation, says so, and pushes presence between friends', async () => {
  expect(app.backends.redis).toMatch(/^in-process Redis emulation \(127\.0\.0\.1:\d+.*WARNING/);
  expect(app.warnings).toEqual([EMULATION_WARNING]);

  const ws = `ws://127.0.0.1:${app.ports.websocket}`;
  const [alice, bob] = await Promise.all([
    TestClient.connect(`${ws}?Authorization=${app.mintToken('alice')}`),
    TestClient.connect(`${ws}?Authorization=${app.mintToken('bob')}`),
  ]);
  try {
    alice.send({ action: 'update-presence', url: 'https://www.example.com/emulated', title: 'Emulated' });
    expect(await bob.next(ofType('update-presence', 'alice'))).toMatchObject({
      url: 'https://www.example.com/emulated',
      domain: 'example.com',
    });
  } finally {
    await Promise.all([alice.close(), bob.close()]);
  }
});
