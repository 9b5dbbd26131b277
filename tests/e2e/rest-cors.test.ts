/**
 * CORS of the REST API for several origins, through the local stack (`npm start`'s gateway reading
 * template.yaml, the real functions) with CORS_ALLOW_ORIGIN set to a web page's origin and an extension's:
 * API Gateway's own answers (the preflight's MOCK, the authorizer's 401, an unknown path's 403) say `*`;
 * the functions name the request's origin only when it is listed. Then in headless Chromium (skipped, with
 * the reason printed, when /usr/bin/chromium is absent): a page of the listed origin reads GET /presence
 * with its token after a real preflight; the same page served from another origin cannot.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { chromium, type Browser } from 'playwright-core';
import type { LocalApp } from '../../local/app';
import { befriend, createPool, seedUsers } from '../support/db';
import { startTestApp } from './helpers/local-app';

const ALICE = 'e2e-cors-alice';
const BOB = 'e2e-cors-bob';
const EXTENSION = `chrome-extension://${'abcdefghijklmnop'.repeat(2)}`;
const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable) console.warn(`Skipping the browser part of the CORS test: ${CHROMIUM} is missing (apt-get install -y chromium)`);

let app: LocalApp;
let pool: Pool;
/** Serves an empty page: http://127.0.0.1:<port>/ is a listed origin, http://localhost:<port>/ is not. */
let pageServer: Server;
let pagePort: number;
let listedOrigin: string;

const api = (path: string) => `http://127.0.0.1:${app.ports.rest}${path}`;

beforeAll(async () => {
  pageServer = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>chat</title>');
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pagePort = (pageServer.address() as AddressInfo).port;
  listedOrigin = `http://127.0.0.1:${pagePort}`;
  pool = createPool();
  await seedUsers(pool, [ALICE, BOB]);
  await befriend(pool, ALICE, BOB);
  app = await startTestApp('e2e-rest-cors', { env: { CORS_ALLOW_ORIGIN: `${listedOrigin},${EXTENSION}` } });
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
  await new Promise((resolve) => pageServer?.close(resolve));
});

describe("API Gateway's own answers", () => {
  it.each([
    ['the listed web origin', () => listedOrigin],
    ['the listed extension', () => EXTENSION],
    ['any other origin', () => 'https://elsewhere.example'],
  ])('answers the preflight of %s: *, the Authorization header, GET', async (_what, origin) => {
    const preflight = await fetch(api('/presence'), {
      method: 'OPTIONS',
      headers: { Origin: origin(), 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(preflight.status).toBe(200);
    expect(Object.fromEntries(preflight.headers)).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'Authorization,Content-Type',
      'access-control-allow-methods': 'GET,OPTIONS',
      'access-control-max-age': '600',
    });
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers a missing token, a token of another app client (401) and an unknown path (403) with *', async () => {
    const missing = await fetch(api('/presence'), { headers: { Origin: EXTENSION } });
    const foreign = await fetch(api('/presence'), {
      headers: { Origin: EXTENSION, Authorization: app.mintToken(ALICE, { clientId: 'another-app' }) },
    });
    const unknown = await fetch(api('/no-such-path'), { headers: { Origin: EXTENSION, Authorization: app.mintToken(ALICE) } });
    expect([missing.status, foreign.status, unknown.status]).toEqual([401, 401, 403]);
    for (const answer of [missing, foreign, unknown]) expect(answer.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe("the functions' answers", () => {
  it.each([
    ['the listed web origin', () => listedOrigin],
    ['the listed extension', () => EXTENSION],
  ])('name %s back, with Vary: Origin', async (_what, origin) => {
    for (const path of ['/presence', `/presence/${BOB}`]) {
      const answer = await fetch(api(path), { headers: { Origin: origin(), Authorization: app.mintToken(ALICE) } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin());
      expect(answer.headers.get('vary')).toBe('Origin');
    }
  });

  it('give another origin, and a request with none, no Access-Control-Allow-Origin', async () => {
    const origins: Record<string, string>[] = [{ Origin: `http://localhost:${pagePort}` }, {}];
    for (const headers of origins) {
      const answer = await fetch(api('/presence'), { headers: { ...headers, Authorization: app.mintToken(ALICE) } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

describe('in a browser', () => {
  const browserIt = browserAvailable ? it : it.skip;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
  });

  /** What fetch() in a page of `origin` gets for GET /presence with alice's token (the browser preflights first). */
  async function fetchFrom(origin: string): Promise<{ status?: number; userId?: string; error?: string }> {
    browser ??= await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      // Browser code, as text: the tests' TypeScript has no DOM types.
      return await page.evaluate(`(async () => {
        try {
          const response = await fetch(${JSON.stringify(api('/presence'))}, { headers: { Authorization: ${JSON.stringify(app.mintToken(ALICE))} } });
          return { status: response.status, userId: (await response.json()).userPresence.userId };
        } catch (error) {
          return { error: String(error) };
        }
      })()`);
    } finally {
      await page.close();
    }
  }

  browserIt(
    'lets a page of the listed origin read GET /presence, and keeps the answer from a page of another origin',
    async () => {
      expect(await fetchFrom(listedOrigin)).toEqual({ status: 200, userId: ALICE });
      expect(await fetchFrom(`http://localhost:${pagePort}`)).toEqual({ error: expect.stringMatching(/Failed to fetch/) });
    },
    60_000,
  );
});
