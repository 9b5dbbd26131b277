/**
 * The try-it page at http://localhost:<port>/ in headless Chromium (Debian's `chromium`, driven by
 * playwright-core): demo sign-in, friends with online dots, current page and "active N min ago",
 * updated live over the WebSocket. Saves a screenshot to .local/screenshots/presence-page.png.
 * Skipped, with the reason printed, only when /usr/bin/chromium is absent.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { LocalApp } from '../../local/app';
import { startTestApp } from './helpers/local-app';
import { demoSeedSql } from '../../local/backends/demo-data';
import { LOCAL_DIR } from '../../local/settings';
import { createPool } from '../support/db';
import { TestClient, ofType } from './helpers/ws-client';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = path.join(LOCAL_DIR, 'screenshots', 'presence-page.png');
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
  app = await startTestApp('e2e-page');
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
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  await app?.close();
  await pool?.end();
});

const friendRow = (page: Page, userId: string) => page.locator(`li.friend[data-user-id="${userId}"]`);

browserIt('shows friends live: online dots, current page and activity, updated over the WebSocket', async () => {
  const page = await context!.newPage();
  const browserErrors: string[] = [];
  page.on('pageerror', (error) => browserErrors.push(error.message));

  await page.goto(`http://localhost:${app.ports.rest}/`);
  await page.selectOption('#user-select', 'alice');
  await page.click('#signin-button');
  await page.locator('#socket-status', { hasText: 'live' }).waitFor({ timeout: 10_000 });
  await expectText(friendRow(page, 'bob'), 'offline');

  const ws = `ws://127.0.0.1:${app.ports.websocket}`;
  const bob = await TestClient.connect(`${ws}?Authorization=${app.mintToken('bob')}`);
  const dave = await TestClient.connect(`${ws}?Authorization=${app.mintToken('dave')}`);
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

    // The page's own form sends update-presence over its WebSocket; bob hears it.
    await page.fill('#update-url', 'https://github.com/aws/aws-sam-cli');
    await page.fill('#update-title', 'aws-sam-cli');
    await page.click('#update-form button[type="submit"]');
    expect(await bob.next(ofType('update-presence', 'alice'))).toMatchObject({
      url: 'https://github.com/aws/aws-sam-cli',
      domain: 'github.com',
    });

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`screenshot: ${SCREENSHOT}`);

    await bob.close();
    await bobRow.locator('.dot:not(.online)').waitFor({ timeout: 10_000 });
    await expectText(bobRow, 'last seen just now');
    expect(browserErrors).toEqual([]);
  } finally {
    await Promise.all([bob.close(), dave.close()]);
  }
});

async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.filter({ hasText: text }).waitFor({ timeout: 10_000 });
}
