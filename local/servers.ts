/**
 * The two loopback HTTP servers of the local stack. They listen first (the handlers' configuration
 * needs the real ports, e.g. the management endpoint), and the gateways are attached once built;
 * a request arriving in between gets a 503.
 *
 *   REST port:      the REST gateway (and, behind it, the try-it page)
 *   WebSocket port: upgrades -> the WebSocket gateway; other requests -> the management API
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface Attachments {
  rest: (request: IncomingMessage, response: ServerResponse) => void;
  upgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Resolves false when the request is not a management API call. */
  management: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export class LocalServers {
  private attached?: Attachments;
  private readonly rest = createServer((request, response) => {
    if (this.attached) this.attached.rest(request, response);
    else response.writeHead(503).end();
  });
  private readonly websocket = createServer((request, response) => {
    void this.managementOrHint(request, response).catch(() => response.destroy());
  });

  constructor() {
    this.websocket.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.attached) this.attached.upgrade(request, socket, head);
      else socket.destroy();
    });
    // The SDK's management client keeps connections alive between pushes; match API Gateway's patience.
    this.websocket.keepAliveTimeout = 65_000;
  }

  private async managementOrHint(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.attached && (await this.attached.management(request, response))) return;
    response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
    response.end('This is the WebSocket API: connect with a WebSocket client (ws://…?Authorization=<token>).\n');
  }

  /** Listens on 127.0.0.1; port 0 picks a free port. Resolves the actual ports. */
  async listen(restPort: number, websocketPort: number): Promise<{ rest: number; websocket: number }> {
    const rest = await listen(this.rest, restPort);
    try {
      return { rest, websocket: await listen(this.websocket, websocketPort) };
    } catch (error) {
      await closeServer(this.rest);
      throw error;
    }
  }

  attach(attachments: Attachments): void {
    this.attached = attachments;
  }

  async close(): Promise<void> {
    await Promise.all([closeServer(this.rest), closeServer(this.websocket)]);
  }
}
