import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the management API needs from whoever holds the sockets. */
export interface ConnectionRegistry {
  /** Delivers a frame; false when the connection does not exist. */
  send(connectionId: string, data: Buffer): boolean;
  /** Closes the connection; false when it does not exist. */
  close(connectionId: string): boolean;
  /** Connection details for GET, or undefined when it does not exist. */
  describe(connectionId: string): { connectedAt: number; sourceIp: string; lastActiveAt: number } | undefined;
}

const ROUTE = /\/@connections\/([^/?]+)\/?(?:\?.*)?$/;
const MAX_FRAME_BYTES = 128 * 1024;

function gone(response: ServerResponse): void {
  response.writeHead(410, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'GoneException' });
  response.end(JSON.stringify({ message: null }));
}

function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FRAME_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_FRAME_BYTES ? null : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * The API Gateway Management API over HTTP (POST, GET, DELETE
 * /@connections/{id}), so handlers use the real AWS SDK client against it.
 * Unknown connections answer 410 with x-amzn-ErrorType: GoneException,
 * which the SDK turns into a GoneException exactly as in AWS.
 */
export function handleManagementRequest(registry: ConnectionRegistry) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const match = ROUTE.exec(request.url ?? '');
    if (!match) return false;
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[1]!);
    } catch {
      gone(response);
      return true;
    }
    if (request.method === 'POST') {
      const body = await readBody(request);
      if (body === null) {
        response.writeHead(413, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'PayloadTooLargeException' });
        response.end(JSON.stringify({ message: 'Payload too large' }));
      } else if (registry.send(connectionId, body)) {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end('{}');
      } else gone(response);
    } else if (request.method === 'DELETE') {
      if (registry.close(connectionId)) {
        response.writeHead(204);
        response.end();
      } else gone(response);
    } else if (request.method === 'GET') {
      const info = registry.describe(connectionId);
      if (!info) gone(response);
      else {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(
          JSON.stringify({
            ConnectedAt: new Date(info.connectedAt).toISOString(),
            Identity: { SourceIp: info.sourceIp, UserAgent: 'local' },
            LastActiveAt: new Date(info.lastActiveAt).toISOString(),
          }),
        );
      }
    } else {
      response.writeHead(405, { Allow: 'GET, POST, DELETE' });
      response.end();
    }
    return true;
  };
}

export interface ManagementApiServer {
  server: Server;
  endpoint: string;
  close(): Promise<void>;
}

/** A standalone management API on a loopback port (tests, benchmarks). */
export async function startManagementApi(registry: ConnectionRegistry, port = 0): Promise<ManagementApiServer> {
  const handle = handleManagementRequest(registry);
  const server = createServer((request, response) => {
    handle(request, response)
      .then((handled) => {
        if (!handled) {
          response.writeHead(404);
          response.end();
        }
      })
      .catch(() => {
        response.writeHead(500);
        response.end();
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    server,
    endpoint: `http://127.0.0.1:${actual}/local`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
