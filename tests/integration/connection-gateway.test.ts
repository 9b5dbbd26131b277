/**
 * The @connections client (layers/core/push/management-api-client.ts)
 * over real HTTP against a local server that answers each case API Gateway
 * can: 200, 410 Gone, 400/403/413 (not retried), 429 and 5xx (retried with
 * backoff), a socket reset mid-request (retried), a server that never
 * answers or never finishes its answer, and a request that waits for a
 * socket (each bounded by the per-attempt timeout).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiGatewayConnectionGateway } from '../../layers/core/push/connection-gateway';
import { CredentialCache, type Credentials } from '../../layers/core/push/credentials';
import { ManagementApiClient, USER_AGENT, type ManagementApiClientOptions } from '../../layers/core/push/management-api-client';
import { PushError } from '../../layers/core/push/push-error';
import { RetryStrategy, STANDARD_RETRY } from '../../layers/core/push/retry';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

const KEYS: Credentials = { accessKeyId: 'gateway-test-key', secretAccessKey: 'gateway-test-secret' };
const SECRET_BODY = 'details-that-must-not-be-logged';

/** How the server answers a connection id: by name, counting attempts per id. */
type Behaviour = (
  attempt: number,
  request: { method: string },
) => { status: number; errorType?: string; body?: string } | 'reset' | 'hang' | 'hang-body';

const behaviours: Record<string, Behaviour> = {
  'c-live': (_n, { method }) =>
    method === 'GET'
      ? {
          status: 200,
          body: JSON.stringify({
            ConnectedAt: '2025-06-17T09:30:15.000Z',
            Identity: { SourceIp: '203.0.113.7', UserAgent: 'ext' },
            LastActiveAt: '2025-06-17T09:31:00.000Z',
          }),
        }
      : { status: method === 'DELETE' ? 204 : 200 },
  'c-gone': () => ({ status: 410, errorType: 'GoneException', body: '{"message":null}' }),
  'c-forbidden': () => ({ status: 403, errorType: 'ForbiddenException', body: JSON.stringify({ message: SECRET_BODY }) }),
  // Larger than undici's 64 KiB buffer: a body nobody reads would hold its socket.
  'c-forbidden-long': () => ({ status: 403, errorType: 'ForbiddenException', body: JSON.stringify({ message: 'x'.repeat(100_000) }) }),
  'c-bad': () => ({ status: 400, errorType: 'BadRequestException', body: JSON.stringify({ message: SECRET_BODY }) }),
  'c-too-large': () => ({ status: 413, errorType: 'PayloadTooLargeException', body: '{"message":"Payload too large"}' }),
  'c-throttled-once': (n) =>
    n === 1 ? { status: 429, errorType: 'LimitExceededException', body: '{"message":"Limit exceeded"}' } : { status: 200 },
  'c-throttled': () => ({ status: 429, errorType: 'LimitExceededException', body: '{}' }),
  'c-500-twice': (n) => (n <= 2 ? { status: 500, errorType: 'InternalServerErrorException', body: '{}' } : { status: 200 }),
  'c-503': () => ({ status: 503, body: 'Service Unavailable' }),
  'c-reset-once': (n) => (n === 1 ? 'reset' : { status: 200 }),
  'c-reset': () => 'reset',
  'c-hang': () => 'hang',
  'c-hang-body': () => 'hang-body',
};

describe('ManagementApiClient (SigV4 client over undici)', () => {
  let server: Server;
  let endpoint: string;
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const clients: ManagementApiClient[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          method: request.method!,
          url: request.url!,
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
          socket: request.socket,
        });
        const id = decodeURIComponent(request.url!.split('/@connections/')[1] ?? '');
        const n = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, n);
        const answer = (behaviours[id] ?? behaviours['c-gone']!)(n, { method: request.method! });
        if (answer === 'hang') return;
        if (answer === 'hang-body') {
          response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' }).write('{"partial":');
          return;
        }
        if (answer === 'reset') {
          request.socket.resetAndDestroy();
          return;
        }
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (answer.errorType) headers['x-amzn-ErrorType'] = answer.errorType;
        response.writeHead(answer.status, headers).end(answer.body ?? (answer.status === 204 ? undefined : '{}'));
      });
    });
    server.on('connection', (socket: Socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received.splice(0);
    attempts.clear();
  });

  /** Retries without the random part of the pause: half of each full-jitter window. */
  const client = (options: Partial<ManagementApiClientOptions> = {}): ManagementApiClient => {
    const created = new ManagementApiClient({
      endpoint,
      region: 'eu-west-1',
      connections: 4,
      timeoutMs: 1_000,
      credentials: new CredentialCache(() => Promise.resolve(KEYS)),
      retry: new RetryStrategy({ ...STANDARD_RETRY, random: () => 0.5 }),
      ...options,
    });
    clients.push(created);
    return created;
  };

  const failure = async (promise: Promise<unknown>): Promise<PushError> => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PushError);
    return error as PushError;
  };

  it('posts the bytes as application/octet-stream to /{stage}/@connections/{encoded id}, signed for execute-api', async () => {
    const api = client();
    for (const n of [1, 2, 3]) await expect(api.postToConnection('c-live', Buffer.from(`{"n":${n}}`))).resolves.toBe('sent');
    expect(received.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', '/prod/@connections/c-live', '{"n":1}'],
      ['POST', '/prod/@connections/c-live', '{"n":2}'],
      ['POST', '/prod/@connections/c-live', '{"n":3}'],
    ]);
    for (const { headers, body } of received) {
      expect(headers['content-type']).toBe('application/octet-stream');
      expect(headers['content-length']).toBe(String(body.length));
      expect(headers['user-agent']).toBe(USER_AGENT);
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=gateway-test-key\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
      );
      expect(headers.authorization).not.toContain('gateway-test-secret');
      expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(headers['x-amz-security-token']).toBeUndefined();
    }
    expect(new Set(received.map((r) => r.headers.authorization)).size).toBe(3);
  });

  it('sends the session token when the credentials have one, and encodes the connection id', async () => {
    const api = client({ credentials: new CredentialCache(() => Promise.resolve({ ...KEYS, sessionToken: 'the-session-token' })) });
    await expect(api.postToConnection('Ldh8ae0b/AM+CJDw=', Buffer.from('{}'))).resolves.toBe('gone');
    expect(received[0]!.url).toBe('/prod/@connections/Ldh8ae0b%2FAM%2BCJDw%3D');
    expect(received[0]!.headers['x-amz-security-token']).toBe('the-session-token');
    expect(received[0]!.headers.authorization).toContain('x-amz-date;x-amz-security-token,');
  });

  it('reports gone (410) without retrying; closes with DELETE; describes with GET', async () => {
    const api = client();
    await expect(api.postToConnection('c-gone', Buffer.from('{}'))).resolves.toBe('gone');
    await expect(api.deleteConnection('c-live')).resolves.toBe('sent');
    await expect(api.deleteConnection('c-gone')).resolves.toBe('gone');
    await expect(api.getConnection('c-gone')).resolves.toBe('gone');
    await expect(api.getConnection('c-live')).resolves.toEqual({
      connectedAt: new Date('2025-06-17T09:30:15.000Z'),
      lastActiveAt: new Date('2025-06-17T09:31:00.000Z'),
      identity: { sourceIp: '203.0.113.7', userAgent: 'ext' },
    });
    expect(received.map((r) => `${r.method} ${r.url} ${r.body.length}`)).toEqual([
      'POST /prod/@connections/c-gone 2',
      'DELETE /prod/@connections/c-live 0',
      'DELETE /prod/@connections/c-gone 0',
      'GET /prod/@connections/c-gone 0',
      'GET /prod/@connections/c-live 0',
    ]);
    expect(received[1]!.headers['content-type']).toBeUndefined();
  });

  it.each([
    ['c-forbidden', 403, 'ForbiddenException'],
    ['c-bad', 400, 'BadRequestException'],
    ['c-too-large', 413, 'PayloadTooLargeException'],
  ])('%s: %i is not retried and fails typed, without the answer body', async (id, status, code) => {
    const error = await failure(client().postToConnection(id, Buffer.from('{}')));
    expect(error).toMatchObject({ status, code, retryable: false, attempts: 1 });
    expect(error.message).not.toContain(SECRET_BODY);
    expect(attempts.get(id)).toBe(1);
  });

  it('retries 429 and 5xx after a backoff pause, then succeeds', async () => {
    const api = client();
    const t0 = performance.now();
    await expect(api.postToConnection('c-throttled-once', Buffer.from('{}'))).resolves.toBe('sent');
    // Throttling: base 500 ms, half of the first window.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    await expect(api.postToConnection('c-500-twice', Buffer.from('{}'))).resolves.toBe('sent');
    expect(attempts.get('c-throttled-once')).toBe(2);
    expect(attempts.get('c-500-twice')).toBe(3);
  });

  it('gives up after 3 attempts in all (the SDK standard), with a typed retryable error', async () => {
    const api = client();
    expect(await failure(api.postToConnection('c-503', Buffer.from('{}')))).toMatchObject({
      status: 503,
      code: 'Http503',
      retryable: true,
      attempts: 3,
    });
    expect(await failure(api.postToConnection('c-throttled', Buffer.from('{}')))).toMatchObject({
      status: 429,
      code: 'LimitExceededException',
      throttling: true,
      attempts: 3,
    });
    expect(attempts.get('c-503')).toBe(3);
    expect(attempts.get('c-throttled')).toBe(3);
  });

  it('retries a connection reset on a new socket', async () => {
    const api = client();
    await expect(api.postToConnection('c-reset-once', Buffer.from('{}'))).resolves.toBe('sent');
    expect(attempts.get('c-reset-once')).toBe(2);
    const error = await failure(api.postToConnection('c-reset', Buffer.from('{}')));
    expect(error).toMatchObject({ retryable: true, attempts: 3 });
    expect(error.status).toBeUndefined();
  });

  it('bounds every attempt by the timeout when the server never answers', async () => {
    const api = client({ timeoutMs: 150 });
    const t0 = performance.now();
    const error = await failure(api.postToConnection('c-hang', Buffer.from('{}')));
    const elapsed = performance.now() - t0;
    expect(error).toMatchObject({ code: 'TimeoutError', retryable: true, timeout: true, attempts: 3 });
    expect(attempts.get('c-hang')).toBe(3);
    // 3 x 150 ms plus the pauses (50 + 100 ms), far from a hang: the upper bound leaves 5x that for a
    // loaded machine, and still fails if the attempts waited for the default 2 s timeout instead.
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('bounds an answer whose body never ends like one that never comes', async () => {
    const api = client({ timeoutMs: 150, retry: new RetryStrategy({ ...STANDARD_RETRY, maxAttempts: 1 }) });
    const error = await failure(api.getConnection('c-hang-body'));
    expect(error).toMatchObject({ code: 'TimeoutError', retryable: true, timeout: true, attempts: 1 });
    expect(attempts.get('c-hang-body')).toBe(1);
  });

  it('counts the wait for a socket against the attempt: a post queued behind a hung one times out', async () => {
    const api = client({ connections: 1, timeoutMs: 300, retry: new RetryStrategy({ ...STANDARD_RETRY, maxAttempts: 1 }) });
    const hung = failure(api.postToConnection('c-hang', Buffer.from('{}')));
    const queued = await failure(api.postToConnection('c-live', Buffer.from('{}')));
    expect(queued).toMatchObject({ code: 'TimeoutError', attempts: 1 });
    expect(await hung).toMatchObject({ code: 'TimeoutError', attempts: 1 });
    // It never left the queue: the only socket was the hung request's.
    expect(attempts.get('c-live')).toBeUndefined();
    // A timed-out attempt is aborted, so its socket no longer holds up the next post.
    await expect(api.postToConnection('c-live', Buffer.from('{}'))).resolves.toBe('sent');
    expect(attempts.get('c-live')).toBe(1);
  });

  it('reads error answers to their end, so their socket serves the next request', async () => {
    const api = client({ connections: 1 });
    for (let i = 0; i < 3; i++)
      expect(await failure(api.postToConnection('c-forbidden-long', Buffer.from('{}')))).toMatchObject({ status: 403 });
    await expect(api.postToConnection('c-gone', Buffer.from('{}'))).resolves.toBe('gone');
    await expect(api.postToConnection('c-live', Buffer.from('{}'))).resolves.toBe('sent');
    expect(received.map((r) => r.url.split('/').at(-1))).toEqual([
      'c-forbidden-long',
      'c-forbidden-long',
      'c-forbidden-long',
      'c-gone',
      'c-live',
    ]);
    // All five over the one socket.
    expect(new Set(received.map((r) => r.socket)).size).toBe(1);
  });

  it('signs with the signer it is given', async () => {
    const signed: string[] = [];
    const api = client({
      signer: {
        sign: (method, path) => {
          signed.push(`${method} ${path}`);
          return Promise.resolve({ 'x-amz-date': '20250617T093015Z', 'x-amz-content-sha256': 'hash', authorization: 'by the test signer' });
        },
      },
    });
    await expect(api.postToConnection('c-live', Buffer.from('{}'))).resolves.toBe('sent');
    expect(signed).toEqual(['POST /prod/@connections/c-live']);
    expect(received[0]!.headers).toMatchObject({ authorization: 'by the test signer', 'x-amz-content-sha256': 'hash' });
  });

  it('stops retrying when the retry quota is spent (a failing endpoint gets no retry storm)', async () => {
    const retry = new RetryStrategy({ ...STANDARD_RETRY, random: () => 0 });
    const api = client({ retry });
    // 500 tokens, 5 per retry: 100 retries in all, then single attempts.
    for (let i = 0; i < 50; i++) await failure(api.postToConnection('c-503', Buffer.from('{}')));
    expect(retry.remainingCapacity).toBe(0);
    expect(attempts.get('c-503')).toBe(150);
    const error = await failure(api.postToConnection('c-503', Buffer.from('{}')));
    expect(error.attempts).toBe(1);
    await expect(api.postToConnection('c-live', Buffer.from('{}'))).resolves.toBe('sent');
    expect(retry.remainingCapacity).toBe(1);
  });

  it('reuses keep-alive sockets for sequential posts', async () => {
    const before = sockets.size;
    const api = client();
    for (let i = 0; i < 20; i++) await api.postToConnection('c-live', Buffer.from('{}'));
    // The pool may hand the next post to a second socket while the first is being released; never one per post.
    expect(sockets.size - before).toBeLessThanOrEqual(2);
  });

  it('opens at most `connections` sockets however many posts are in flight', async () => {
    const before = sockets.size;
    const api = client({ connections: 3 });
    const results = await Promise.all(Array.from({ length: 20 }, () => api.postToConnection('c-live', Buffer.from('{}'))));
    expect(results).toEqual(Array(20).fill('sent'));
    expect(sockets.size - before).toBeLessThanOrEqual(3);
    expect(sockets.size - before).toBeGreaterThan(0);
  });

  it('ApiGatewayConnectionGateway.create signs with the credentials of the default chain (environment)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'env-key', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token' });
    try {
      const gateway = ApiGatewayConnectionGateway.create(endpoint, 'us-west-2', 2);
      clients.push(gateway.client);
      await expect(gateway.post('c-live', Buffer.from('{}'))).resolves.toBe('sent');
      await expect(gateway.close('c-gone')).resolves.toBe('gone');
      expect(received[0]!.headers.authorization).toContain('Credential=env-key/');
      expect(received[0]!.headers.authorization).toContain('/us-west-2/execute-api/aws4_request');
      expect(received[0]!.headers['x-amz-security-token']).toBe('env-token');
    } finally {
      process.env = saved;
    }
  });

  it('takes the signing region from an execute-api endpoint when none is configured', () => {
    const gateway = ApiGatewayConnectionGateway.create('https://abc123.execute-api.ap-south-1.amazonaws.com/prod', undefined, 1);
    clients.push(gateway.client);
    expect(() => ApiGatewayConnectionGateway.create('http://127.0.0.1:1/local', undefined, 1)).toThrow(/AWS_REGION/);
  });
});
