/**
 * The try-it page at http://localhost:<port>/ in headless Chromium (Debian's `chromium`, driven by
 * playwright-core), running on the reference client (@presence-api/client, loaded as ES modules from
 * /client/): demo sign-in, friends with avatars, online dots, current page and "active N min ago",
 * updated live over the WebSocket; "page hidden" explained by the sharing rule; errors shown inline
 * (never a dialog); a message log that wraps; and after the gateway drops every socket, the server
 * deletes the connection or Redis loses its data, a reconnect followed by a fresh snapshot (the
 * presence-snapshot frames answering the new connection's subscribe).
 * Screenshots go to .local/screenshots/ (git-ignored).
 * Skipped, with the reason printed, only when /usr/bin/chromium is absent.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { LocalApp } from '../../local/app';
import { demoSeedSql } from '../../local/backends/demo-data';
import { deleteKeysWithPrefix } from '../support/redis-keys';
import { LOCAL_DIR } from '../../local/settings';
import type { ConnectionSummary } from '../../local/websocket/gateway';
import { createPool } from '../support/db';
import { redisUrl, testRedisPrefix } from '../support/env';
import { startTestApp } from './helpers/local-app';
import { deleteConnection } from './helpers/management';
import { TestClient, ofType } from './helpers/ws-client';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(LOCAL_DIR, 'screenshots');
const SUITE = 'e2e-page';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`Skipping the page test: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`);
const browserIt = available ? it : it.skip;

let app: LocalApp;
let pool: Pool;
let context: BrowserContext | undefined;
let userDataDir: string | undefined;

beforeAll(async () => {
  if (!available) return;
  pool = createPool();
  await pool.query(demoSeedSql());
  app = await startTestApp(SUITE);
  userDataDir = await mkdtemp(path.join(os.tmpdir(), 'presence-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 900, height: 760 },
  });
  await mkdir(SCREENSHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  await app?.close();
  await pool?.end();
});

afterEach(async () => {
  // Each test starts with nobody online.
  for (const page of context?.pages() ?? []) await page.close();
  await app?.settle();
  const redis = new Redis(redisUrl());
  try {
    await deleteKeysWithPrefix(redis, testRedisPrefix(SUITE));
  } finally {
    redis.disconnect();
  }
});

const friendRow = (page: Page, userId: string) => page.locator(`li.friend[data-user-id="${userId}"]`);
const ws = () => `ws://127.0.0.1:${app.ports.websocket}`;
const connectAs = (userId: string) => TestClient.connect(`${ws()}?Authorization=${app.mintToken(userId)}`);

/** A new tab that fails the test on a dialog (errors must be inline), a page error or a script that did not load. */
async function openPage(): Promise<{ page: Page; problems: string[]; scripts: string[] }> {
  const page = await context!.newPage();
  const problems: string[] = [];
  const scripts: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('response', (response) => {
    const { pathname } = new URL(response.url());
    if (!pathname.endsWith('.js')) return;
    if (response.status() !== 200) problems.push(`${pathname} answered ${response.status()}`);
    scripts.push(pathname);
  });
  await page.goto(`http://localhost:${app.ports.rest}/`);
  return { page, problems, scripts };
}

/** Every text #socket-status shows from now on, however briefly (a reconnect can take a few ms). */
async function recordStatuses(page: Page): Promise<() => Promise<string[]>> {
  // Browser code, as text: the tests' TypeScript has no DOM types.
  await page.evaluate(`(() => {
    const seen = (window.statuses = []);
    const status = document.getElementById('socket-status');
    new MutationObserver(() => seen.push(status.textContent)).observe(status, { childList: true, characterData: true, subtree: true });
  })()`);
  return () => page.evaluate<string[]>('window.statuses.splice(0)');
}

async function signInAs(page: Page, userId: string): Promise<void> {
  await page.selectOption('#user-select', userId);
  await page.click('#signin-button');
  await page.locator('#socket-status', { hasText: 'live' }).waitFor({ timeout: 10_000 });
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(SCREENSHOTS, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.filter({ hasText: text }).waitFor({ timeout: 10_000 });
}

/** Polls a condition (with timers, so browser and socket events keep flowing) for up to 5 s. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what} after 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function liveConnections(): Promise<ConnectionSummary[]> {
  const response = await fetch(`http://127.0.0.1:${app.ports.rest}/local/connections`);
  return ((await response.json()) as { connections: ConnectionSummary[] }).connections;
}

browserIt('shows friends live: avatars, online dots, current page and activity, hidden pages explained', async () => {
  const { page, problems, scripts } = await openPage();
  await signInAs(page, 'alice');
  // The page runs on the reference client, loaded from the repository as ES modules, no bundler.
  expect(scripts).toEqual(expect.arrayContaining(['/app.js', '/client/index.js', '/client/client.js', '/client/connection.js']));
  await expectText(friendRow(page, 'bob'), 'offline');
  // Initials on a coloured circle, for the user and every friend.
  expect(await page.locator('#me-avatar').textContent()).toBe('AL');
  expect(await friendRow(page, 'bob').locator('.avatar').textContent()).toBe('BB');
  expect(await friendRow(page, 'dave').locator('.avatar').textContent()).toBe('DL');

  const [bob, dave] = await Promise.all([connectAs('bob'), connectAs('dave')]);
  try {
    bob.send({ action: 'update-presence', url: 'https://en.wikipedia.org/wiki/Presence', title: 'Presence - Wikipedia' });
    dave.send({ action: 'update-presence', url: '', title: '' });

    const bobRow = friendRow(page, 'bob');
    await bobRow.locator('.dot.online').waitFor({ timeout: 10_000 });
    await expectText(bobRow, 'Presence - Wikipedia');
    await expectText(bobRow, 'wikipedia.org');
    await expectText(bobRow, 'active just now');
    expect(await bobRow.locator('a').getAttribute('href')).toBe('https://en.wikipedia.org/wiki/Presence');
    await expectText(friendRow(page, 'dave'), 'page hidden');
    // carol is not alice's friend (her request is pending): never listed.
    expect(await friendRow(page, 'carol').count()).toBe(0);

    // bob shares only wikipedia.org and github.com: his Hacker News page reaches alice hidden, and
    // the page says why (GET /presence carries no sharing settings, so it states the rule).
    bob.send({ action: 'update-presence', url: 'https://news.ycombinator.com/', title: 'Hacker News' });
    await expectText(bobRow, 'page hidden');
    await expectText(bobRow, 'last shared: Presence - Wikipedia');
    const why = await bobRow.locator('.why').textContent();
    expect(why).toContain("Bob shares no page right now: none sent yet, hidden by Bob, or a site Bob's sharing settings keep private");
    expect(why).toContain('shares only the sites they allow, or every site except those they block');
    await expect(page.locator('.sharing-rule').textContent()).resolves.toContain('default_none');

    // The page's own form sends update-presence over its WebSocket; bob hears it.
    await page.fill('#update-url', 'https://github.com/aws/aws-sam-cli');
    await page.fill('#update-title', 'aws-sam-cli');
    await page.click('#update-form button[type="submit"]');
    expect(await bob.next(ofType('update-presence', 'alice'))).toMatchObject({
      url: 'https://github.com/aws/aws-sam-cli',
      domain: 'github.com',
    });
    // alice denies bank.example: her own line says it is not shared.
    await page.fill('#update-url', 'https://www.bank.example/accounts');
    await page.fill('#update-title', 'My accounts');
    await page.click('#update-form button[type="submit"]');
    await expectText(page.locator('#me-page'), 'not shared: none sent yet, hidden by you, or a site your sharing settings keep private');

    await screenshot(page, 'presence-page.png');

    await bob.close();
    await bobRow.locator('.dot:not(.online)').waitFor({ timeout: 10_000 });
    await expectText(bobRow, 'last seen just now');
    expect(problems).toEqual([]);
  } finally {
    await Promise.all([bob.close(), dave.close()]);
  }
});

browserIt('shows errors inline, never in a dialog, and wraps long lines in the message log', async () => {
  const { page, problems } = await openPage();

  // A pasted token the stack refuses: the sign-in card says why.
  await page.click('details summary');
  await page.fill('#token-input', 'not-a-token');
  await page.click('#token-signin button[type="submit"]');
  await expectText(page.locator('#signin-error'), 'That is not a token');
  await page.fill('#token-input', app.mintToken('alice', { expiresInSeconds: -60 }));
  await page.click('#token-signin button[type="submit"]');
  await expectText(page.locator('#signin-error'), 'GET /presence answered 401');
  await expectText(page.locator('#signin-error'), 'the stack refused this token');
  expect(await page.locator('#session').isHidden()).toBe(true);
  await screenshot(page, 'page-signin-error.png');

  // An update the client will not send (its frame is over API Gateway's 32 KB): said in the session card.
  await page.fill('#token-input', app.mintToken('alice'));
  await page.click('#token-signin button[type="submit"]');
  await page.locator('#socket-status', { hasText: 'live' }).waitFor({ timeout: 10_000 });
  expect(await page.locator('#signin-error').isHidden()).toBe(true);
  await page.fill('#update-title', 'T'.repeat(40_000));
  await page.click('#update-form button[type="submit"]');
  await expectText(page.locator('#session-error'), 'Not sent: update-presence not sent: its frame is 40');
  await expectText(page.locator('#session-error'), 'over the 32768 API Gateway accepts');
  // A 2.5 KB url goes out (the server stores it shortened).
  await page.fill('#update-title', 'Long');
  await page.fill('#update-url', `https://en.wikipedia.org/wiki/${'Long_'.repeat(500)}`);
  await page.click('#update-form button[type="submit"]');

  // The log holds the 2.5 KB frame it sent: wrapped inside the card, no horizontal scrolling.
  await page.click('.log summary');
  const sent = page.locator('#log li', { hasText: 'Long_Long_' });
  await sent.waitFor({ timeout: 5000 });
  const box = await page.locator('#log').evaluate((list) => ({ scrollWidth: list.scrollWidth, clientWidth: list.clientWidth }));
  expect(box.scrollWidth).toBeLessThanOrEqual(box.clientWidth);
  expect((await sent.boundingBox())!.height).toBeGreaterThan(100);
  await screenshot(page, 'page-inline-error-and-log.png');
  expect(problems).toEqual([]);
});

browserIt('reconnects when the gateway or the server closes the socket, then refreshes the snapshot', async () => {
  const { page, problems } = await openPage();
  // The client uses subscription levels: each connection's first subscribe is answered with a snapshot.
  const snapshots: string[] = [];
  page.on('websocket', (socket) => {
    socket.on('framereceived', ({ payload }) => {
      if (String(payload).includes('"type":"presence-snapshot"')) snapshots.push(socket.url());
    });
  });
  await signInAs(page, 'alice');
  const statuses = await recordStatuses(page);
  let bob = await connectAs('bob');
  try {
    bob.send({ action: 'update-presence', url: 'https://github.com/aws/aws-sam-cli', title: 'aws-sam-cli' });
    const bobRow = friendRow(page, 'bob');
    await expectText(bobRow, 'aws-sam-cli');

    // 1. The gateway drops every socket (1001): the page connects again and re-reads.
    const [dropped] = (await liveConnections()).filter((connection) => connection.userId === 'alice');
    const beforeDrop = snapshots.length;
    expect(app.dropConnections()).toBe(2);
    await until(() => snapshots.length > beforeDrop, 'a presence snapshot after the reconnect');
    await page.locator('#socket-status', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    expect(await statuses()).toEqual(expect.arrayContaining(['disconnected (1001), reconnecting…', 'live']));
    expect((await liveConnections()).map((connection) => connection.connectionId)).not.toContain(dropped!.connectionId);
    bob = await connectAs('bob');
    bob.send({ action: 'update-presence', url: 'https://github.com/aws/aws-sam-cli', title: 'aws-sam-cli' });
    await bobRow.locator('.dot.online').waitFor({ timeout: 10_000 });

    // 2. The server closes the connection (DeleteConnection): the page connects again and re-reads.
    const [pageConnection] = (await liveConnections()).filter((connection) => connection.userId === 'alice');
    const before = snapshots.length;
    expect(await deleteConnection(app.urls.managementApi, pageConnection!.connectionId)).toBe('sent');
    await until(() => snapshots.length > before, 'a presence snapshot after the reconnect');
    await page.locator('#socket-status', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    expect(await statuses()).toEqual(expect.arrayContaining(['disconnected (1000), reconnecting…', 'live']));
    const reconnected = (await liveConnections()).filter((connection) => connection.userId === 'alice');
    expect(reconnected.map((connection) => connection.connectionId)).not.toContain(pageConnection!.connectionId);

    // 3. Redis loses its data: the page's next message meets an unknown connection, the server
    // answers "reconnect", and the fresh snapshot shows what Redis knows now: bob is offline
    // (no presence-timeout was ever pushed for him).
    const redis = new Redis(redisUrl());
    try {
      await deleteKeysWithPrefix(redis, testRedisPrefix(SUITE));
    } finally {
      redis.disconnect();
    }
    const beforeLoss = snapshots.length;
    await page.fill('#update-url', 'https://en.wikipedia.org/wiki/Data_loss');
    await page.fill('#update-title', 'Data loss - Wikipedia');
    await page.click('#update-form button[type="submit"]');
    await expectText(page.locator('#session-error'), 'The server answered: Connection is not registered; reconnect');
    await page.locator('#socket-status', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await expectText(page.locator('#session-error.resolved'), 'reconnected and refreshed at');
    await until(() => snapshots.length > beforeLoss, 'a presence snapshot after the reconnect');
    await bobRow.locator('.dot:not(.online)').waitFor({ timeout: 10_000 });
    await expectText(bobRow, 'offline');
    expect(await page.locator('#log li', { hasText: '"type":"presence-timeout","userId":"bob"' }).count()).toBe(0);
    // The new connection works: the update goes through now.
    await page.click('#update-form button[type="submit"]');
    await expectText(page.locator('#me-page'), 'Data loss - Wikipedia');
    await screenshot(page, 'page-reconnected.png');
    expect(problems).toEqual([]);
  } finally {
    await bob.close();
  }
});
