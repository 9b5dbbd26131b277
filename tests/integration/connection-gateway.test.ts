/**
 * The tuned AWS SDK client against a plain HTTP server that records what
 * arrives: the tuning (cached middleware, fixed user agent, keep-alive
 * agent) must not change what API Gateway receives.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiGatewayConnectionGateway, USER_AGENT } from '../../layers/core/push/connection-gateway';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('ApiGatewayConnectionGateway (real SDK client over HTTP)', () => {
  let server: Server;
  let endpoint: string;
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const live = new Set<string>(['c-live']);

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'gateway-test-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'gateway-test-secret';
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString() });
        const id = decodeURIComponent(request.url!.split('/@connections/')[1] ?? '');
        if (live.has(id)) {
          response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
        } else {
          response.writeHead(410, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'GoneException' }).end('{"message":null}');
        }
      });
    });
    server.on('connection', (socket: Socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received.splice(0);
  });

  it('posts the bytes, signed with SigV4 for execute-api, with the fixed user agent on every request', async () => {
    const gateway = ApiGatewayConnectionGateway.create(endpoint, 'eu-west-1', 4);
    for (const n of [1, 2, 3]) {
      await expect(gateway.post('c-live', Buffer.from(`{"n":${n}}`))).resolves.toBe('sent');
    }
    expect(received.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', '/prod/@connections/c-live', '{"n":1}'],
      ['POST', '/prod/@connections/c-live', '{"n":2}'],
      ['POST', '/prod/@connections/c-live', '{"n":3}'],
    ]);
    for (const { headers } of received) {
      expect(headers['user-agent']).toBe(USER_AGENT);
      expect(headers['x-amz-user-agent']).toBe('aws-sdk-js/3');
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=gateway-test-key\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
      );
      expect(headers.authorization).not.toContain('gateway-test-secret');
      expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    }
    // Each request is signed on its own (different bodies, different signatures).
    expect(new Set(received.map((r) => r.headers.authorization)).size).toBe(3);
  });

  it('reuses one keep-alive socket for sequential posts', async () => {
    const before = sockets.size;
    const gateway = ApiGatewayConnectionGateway.create(endpoint, 'us-east-1', 4);
    for (let i = 0; i < 5; i++) await gateway.post('c-live', Buffer.from('{}'));
    expect(sockets.size - before).toBe(1);
  });

  it('opens at most maxSockets connections however many posts are in flight', async () => {
    const before = sockets.size;
    const gateway = ApiGatewayConnectionGateway.create(endpoint, 'us-east-1', 3);
    const results = await Promise.all(Array.from({ length: 20 }, () => gateway.post('c-live', Buffer.from('{}'))));
    expect(results).toEqual(Array(20).fill('sent'));
    expect(sockets.size - before).toBeLessThanOrEqual(3);
    expect(sockets.size - before).toBeGreaterThan(0);
  });

  it('reports a gone connection (410) without retrying it, and closes with DELETE', async () => {
    const gateway = ApiGatewayConnectionGateway.create(endpoint, 'us-east-1', 4);
    await expect(gateway.post('c-gone', Buffer.from('{}'))).resolves.toBe('gone');
    await expect(gateway.close('c-live')).resolves.toBe('sent');
    await expect(gateway.close('c-gone')).resolves.toBe('gone');
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /prod/@connections/c-gone',
      'DELETE /prod/@connections/c-live',
      'DELETE /prod/@connections/c-gone',
    ]);
  });
});
