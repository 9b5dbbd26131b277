/**
 * Local-only helpers on the REST port, outside the API (no template route claims these paths):
 * the try-it page from local/public/ and the reference client it runs on (packages/client/src,
 * served as ES modules under /client/), its configuration, a demo sign-in that mints a token for a
 * known user, and the list of live WebSocket connections (`npm run connections`). None of this exists
 * in AWS; the sign-in only works for users in the local database.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { ConnectionSummary } from '../websocket/gateway';

const PUBLIC_DIR = path.resolve(__dirname, '..', 'public');
const CLIENT_DIR = path.resolve(__dirname, '..', '..', 'packages', 'client', 'src');
const JAVASCRIPT = 'text/javascript; charset=utf-8';
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(PUBLIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/index.html': { file: path.join(PUBLIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: path.join(PUBLIC_DIR, 'app.js'), type: JAVASCRIPT },
  '/style.css': { file: path.join(PUBLIC_DIR, 'style.css'), type: 'text/css; charset=utf-8' },
  // The client's modules, listed once at start-up: a request names one of them or nothing is served.
  ...Object.fromEntries(
    readdirSync(CLIENT_DIR)
      .filter((name) => name.endsWith('.js'))
      .map((name) => [`/client/${name}`, { file: path.join(CLIENT_DIR, name), type: JAVASCRIPT }]),
  ),
};

export interface LocalUser {
  userId: string;
  name: string;
}

export interface LocalRoutesOptions {
  /** Users the demo sign-in offers and accepts. */
  users: () => Promise<LocalUser[]>;
  mintToken: (userId: string) => string;
  websocketPort: () => number;
  stage: string;
  /** The gateway's live connections. */
  connections: () => ConnectionSummary[];
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': String(Buffer.byteLength(text)) });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 4096) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export function localRoutes(options: LocalRoutesOptions) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';

    const asset = STATIC[pathname];
    if (asset && (method === 'GET' || method === 'HEAD')) {
      const content = await readFile(asset.file);
      response.writeHead(200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache', 'Content-Length': String(content.length) });
      response.end(method === 'HEAD' ? undefined : content);
      return true;
    }
    if (pathname === '/favicon.ico') {
      response.writeHead(204);
      response.end();
      return true;
    }
    if (pathname === '/local/config' && method === 'GET') {
      json(response, 200, { websocketPort: options.websocketPort(), stage: options.stage, users: await options.users() });
      return true;
    }
    if (pathname === '/local/connections' && method === 'GET') {
      json(response, 200, { connections: options.connections() });
      return true;
    }
    if (pathname === '/local/token' && method === 'POST') {
      // Requiring JSON makes a cross-site form post impossible (it would need a CORS preflight we never answer).
      if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
        json(response, 415, { message: 'Send {"userId": "..."} as application/json' });
        return true;
      }
      let userId: unknown;
      try {
        userId = ((await readJson(request)) as { userId?: unknown })?.userId;
      } catch {
        json(response, 400, { message: 'Send {"userId": "..."} as application/json' });
        return true;
      }
      const known = (await options.users()).some((user) => user.userId === userId);
      if (typeof userId !== 'string' || !known) {
        json(response, 404, { message: 'Unknown user; the demo sign-in only mints tokens for users in the local database' });
        return true;
      }
      json(response, 200, { userId, token: options.mintToken(userId) });
      return true;
    }
    return false;
  };
}
