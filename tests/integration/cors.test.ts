/**
 * The REST functions' own answers for a list of origins (CORS_ALLOW_ORIGIN), through the real handlers on
 * real Redis and PostgreSQL (reached through a fault proxy, for an outage): the request's origin named back
 * when it is listed, with Vary: Origin; nothing for another origin or none; the same on every error the
 * functions answer (401 for another app client, logged with why; 400; 403; 503 with Retry-After readable
 * by the page).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Pool } from 'pg';
import { befriend, createPool, resetTables, seedUsers } from '../support/db';
import { FaultProxy } from '../support/fault-proxy';
import { HandlerHarness, lambdaContext, sampleEvent } from '../support/handler-harness';
import { stdoutLines } from '../support/stdout-lines';

const CHAT = 'https://chat.example.com';
const EXTENSION = `chrome-extension://${'abcdefghijklmnop'.repeat(2)}`;

type RestEvent = {
  headers: Record<string, string>;
  pathParameters: Record<string, string> | null;
  requestContext: { authorizer?: { claims?: Record<string, string> } };
};

describe('CORS of the REST functions for a list of origins', () => {
  let proxy: FaultProxy;
  const harness = new HandlerHarness('cors', ({ databaseUrl }) => {
    const proxied = new URL(databaseUrl);
    proxied.port = String(proxy.port);
    // Listed as an operator would write it: the functions compare what browsers send (lower case).
    return { DATABASE_URL: proxied.toString(), CORS_ALLOW_ORIGIN: ` https://Chat.Example.com ,${EXTENSION}`, POWERTOOLS_LOG_LEVEL: 'INFO' };
  });
  let pool: Pool;

  beforeAll(async () => {
    proxy = await FaultProxy.start(Number(new URL(process.env.DATABASE_URL!).port || 5432));
    await harness.start();
    pool = createPool({ connectionString: harness.databaseUrl });
    await resetTables(pool);
    await seedUsers(pool, ['alice', 'bob', 'carol', 'cold']);
    await befriend(pool, 'alice', 'bob');
  });

  afterAll(async () => {
    await harness.close();
    await pool.end();
    await proxy.close();
  });

  afterEach(() => proxy.restore());

  /** A REST request as API Gateway passes it: `origin` in the Origin header (none: no header), `claims` of the token. */
  const request = async (
    file: 'get-presence' | 'get-user-presence',
    origin: string | undefined,
    options: { userId?: string; claims?: Record<string, string>; target?: string } = {},
  ) => {
    const event = sampleEvent<RestEvent>(file);
    delete event.headers.Origin;
    if (origin !== undefined) event.headers.origin = origin; // HTTP/2 clients send it lower case
    const userId = options.userId ?? 'alice';
    event.requestContext.authorizer = {
      claims: options.claims ?? { 'cognito:username': userId, token_use: 'id', aud: 'presence-local-client' },
    };
    event.pathParameters = options.target === undefined ? null : { userId: options.target };
    const { result, lines, raw } = await stdoutLines(
      () => harness.handler(file)(event, lambdaContext(file)) as Promise<APIGatewayProxyResult>,
    );
    return { ...result, headers: result.headers ?? {}, line: lines.find((line) => line.message === 'rest request'), log: raw };
  };

  it.each([CHAT, EXTENSION])('names %s back, with Vary: Origin', async (origin) => {
    const answer = await request('get-presence', origin);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers).toMatchObject({ 'Access-Control-Allow-Origin': origin, Vary: 'Origin' });
    expect(answer.headers).not.toHaveProperty('Access-Control-Allow-Credentials');
  });

  it.each([
    ['another origin', 'https://evil.example'],
    ['a listed host on another scheme', 'http://chat.example.com'],
    ['another extension', `chrome-extension://${'ponmlkjihgfedcba'.repeat(2)}`],
    ['no Origin header (not a browser page)', undefined],
  ])('gives %s no Access-Control-Allow-Origin (the answer itself is the same)', async (_what, origin) => {
    const answer = await request('get-presence', origin);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers).not.toHaveProperty('Access-Control-Allow-Origin');
    expect(answer.headers.Vary).toBe('Origin');
  });

  it('answers the same on 400 and 403, and on the 401 of another app client, which its log line explains (never the token)', async () => {
    const malformed = await request('get-user-presence', EXTENSION, { target: '../etc' });
    expect(malformed.statusCode).toBe(400);
    const stranger = await request('get-user-presence', CHAT, { target: 'carol' });
    expect(stranger.statusCode).toBe(403);
    const foreign = await request('get-presence', CHAT, { claims: { 'cognito:username': 'alice', token_use: 'id', aud: 'another-app' } });
    expect(foreign.statusCode).toBe(401);
    expect(foreign.line).toMatchObject({ outcome: 'refused', reason: 'wrong-audience', clientId: 'another-app', status: 401 });
    expect(foreign.log).not.toContain(sampleEvent<RestEvent>('get-presence').headers.Authorization);
    expect(malformed.headers).toMatchObject({ 'Access-Control-Allow-Origin': EXTENSION, Vary: 'Origin' });
    for (const answer of [stranger, foreign]) expect(answer.headers).toMatchObject({ 'Access-Control-Allow-Origin': CHAT, Vary: 'Origin' });
    const elsewhere = await request('get-presence', 'https://evil.example', {
      claims: { 'cognito:username': 'alice', aud: 'another-app' },
    });
    expect(elsewhere.statusCode).toBe(401);
    expect(elsewhere.headers).not.toHaveProperty('Access-Control-Allow-Origin');
  });

  it('answers an outage 503 with Retry-After, exposed to the page of a listed origin', async () => {
    await proxy.refuse();
    const answer = await request('get-presence', CHAT, { userId: 'cold' }); // nothing cached for this user
    expect(answer.statusCode).toBe(503);
    expect(answer.headers).toMatchObject({
      'Access-Control-Allow-Origin': CHAT,
      Vary: 'Origin',
      'Retry-After': '2',
      'Access-Control-Expose-Headers': 'Retry-After',
    });
  });
});
