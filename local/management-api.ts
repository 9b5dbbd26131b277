import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_AWS_CREDENTIALS, type AwsCredentials } from './aws-credentials';
import type { ManagementMethod, ManagementRecorder } from './meter/recorders';
import { verifySignature } from './sigv4-verifier';

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
const METERED_METHODS: readonly ManagementMethod[] = ['POST', 'DELETE', 'GET'];
const MAX_FRAME_BYTES = 128 * 1024;

function gone(response: ServerResponse): void {
  reply(response, 410, 'GoneException', null);
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

export interface ManagementApiOptions {
  /**
   * The credentials requests must be SigV4-signed with (default: the local stack's fixed ones);
   * false accepts any request, signed or not (the benchmark's sink, which measures the clients).
   */
  credentials?: AwsCredentials | false;
  /** The local stack's meter: told of every signed request by method, 410s and signature refusals. */
  meter?: ManagementRecorder;
}

function reply(response: ServerResponse, status: number, errorType: string, message: string | null): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorType });
  response.end(JSON.stringify({ message }));
}

/**
 * The API Gateway Management API over HTTP (POST, GET, DELETE
 * /@connections/{id}), as API Gateway answers it: every request must carry
 * a valid SigV4 signature (403 otherwise, local/sigv4-verifier.ts); unknown
 * connections answer 410 with x-amzn-ErrorType: GoneException; a frame over
 * 128 KiB answers 413 PayloadTooLargeException.
 */
export function handleManagementRequest(registry: ConnectionRegistry, options: ManagementApiOptions = {}) {
  const credentials = options.credentials === undefined ? LOCAL_AWS_CREDENTIALS : options.credentials;
  const { meter } = options;
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const match = ROUTE.exec(request.url ?? '');
    if (!match) return false;
    const body = await readBody(request);
    if (credentials && body !== null) {
      const failure = await verifySignature(
        { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body },
        credentials,
      );
      if (failure) {
        meter?.refused();
        reply(response, 403, failure.errorType, failure.message);
        return true;
      }
    }
    const method = METERED_METHODS.find((name) => name === request.method);
    const counted = (wasGone: boolean) => {
      if (method) meter?.request(method, wasGone);
    };
    const answerGone = () => {
      counted(true);
      gone(response);
    };
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[1]!);
    } catch {
      answerGone();
      return true;
    }
    if (body === null) {
      counted(false);
      reply(response, 413, 'PayloadTooLargeException', 'Payload too large');
    } else if (request.method === 'POST') {
      if (registry.send(connectionId, body)) {
        counted(false);
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end('{}');
      } else answerGone();
    } else if (request.method === 'DELETE') {
      if (registry.close(connectionId)) {
        counted(false);
        response.writeHead(204);
        response.end();
      } else answerGone();
    } else if (request.method === 'GET') {
      const info = registry.describe(connectionId);
      if (!info) answerGone();
      else {
        counted(false);
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
export async function startManagementApi(
  registry: ConnectionRegistry,
  port = 0,
  options: ManagementApiOptions = {},
): Promise<ManagementApiServer> {
  const handle = handleManagementRequest(registry, options);
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
