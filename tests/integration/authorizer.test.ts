import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { createSigningKey, startIdentityProvider, type IdentityProvider, type SigningKey } from '../../local/identity-provider';
import { HandlerHarness, lambdaContext, sampleEvent } from '../support/handler-harness';
import { stdoutLines } from '../support/stdout-lines';

const CLIENT_ID = 'presence-web-client';

/**
 * The $connect authorizer verifies real RS256 tokens against a JWKS served
 * over HTTP (aws-jwt-verify, no bypass), from either place a client may put them.
 */
describe('WebSocket $connect authorizer', () => {
  let idp: IdentityProvider;
  let otherIdp: IdentityProvider;
  let foreignKey: SigningKey;
  // INFO: each case's log line says why the token was refused.
  const harness = new HandlerHarness('authorizer', { POWERTOOLS_LOG_LEVEL: 'INFO' });

  beforeAll(async () => {
    [idp, otherIdp, foreignKey] = await Promise.all([startIdentityProvider(), startIdentityProvider({ poolName: 'other-pool' }), createSigningKey()]);
    process.env.JWT_ISSUER = idp.issuer;
    process.env.JWT_JWKS_URI = idp.jwksUri;
    process.env.JWT_CLIENT_IDS = `${CLIENT_ID},second-client`;
    process.env.JWT_TOKEN_USE = 'id';
    await harness.start();
  });

  afterAll(async () => {
    await harness.close();
    await Promise.all([idp.close(), otherIdp.close()]);
  });

  function authorize(patch: { query?: Record<string, string> | null; protocol?: string }) {
    const event = sampleEvent<Record<string, unknown> & { headers: Record<string, string> }>('authorizer');
    event.queryStringParameters = patch.query === undefined ? null : patch.query;
    delete event.headers['Sec-WebSocket-Protocol'];
    if (patch.protocol) event.headers['Sec-WebSocket-Protocol'] = patch.protocol;
    event.multiValueHeaders = {};
    event.multiValueQueryStringParameters = {};
    return harness.handler('authorizer')(event, lambdaContext('authorizer')) as Promise<APIGatewayAuthorizerResult>;
  }

  const effect = (result: APIGatewayAuthorizerResult) => (result.policyDocument.Statement[0] as { Effect: string }).Effect;

  it('allows a valid id token from the query string, with the user id as principal and context', async () => {
    const result = await authorize({ query: { Authorization: idp.mintToken({ userId: 'alice', clientId: CLIENT_ID }) } });
    expect(effect(result)).toBe('Allow');
    expect(result.principalId).toBe('alice');
    expect(result.context).toEqual({ userId: 'alice' });
  });

  it('allows a token sent as a Sec-WebSocket-Protocol entry, and any configured client', async () => {
    const token = idp.mintToken({ userId: 'bob', clientId: 'second-client' });
    const result = await authorize({ protocol: `presence.v1, ${token}` });
    expect(effect(result)).toBe('Allow');
    expect(result.principalId).toBe('bob');
  });

  it('refuses a missing token with Unauthorized (401)', async () => {
    await stdoutLines(async () => {
      await expect(authorize({})).rejects.toThrow(/^Unauthorized$/);
      await expect(authorize({ query: { Authorization: '' }, protocol: 'presence.v1' })).rejects.toThrow(/^Unauthorized$/);
    });
  });

  it.each([
    ['expired', 'expired', () => idp.mintToken({ userId: 'alice', clientId: CLIENT_ID, expiresInSeconds: -60 })],
    ['signed with another key', 'bad-signature', () => idp.mintToken({ userId: 'alice', clientId: CLIENT_ID, key: foreignKey, kid: idp.key.kid })],
    // Its key is not in our issuer's JWKS: that is found before the issuer claim is read.
    ['from another issuer', 'unknown-key', () => otherIdp.mintToken({ userId: 'alice', clientId: CLIENT_ID })],
    ['from another issuer, signed with a key of ours', 'wrong-issuer', () => idp.mintToken({ userId: 'alice', clientId: CLIENT_ID, issuer: otherIdp.issuer })],
    ['for another client', 'wrong-audience', () => idp.mintToken({ userId: 'alice', clientId: 'someone-else' })],
    ['an access token where id tokens are expected', 'wrong-token-use', () => idp.mintToken({ userId: 'alice', clientId: CLIENT_ID, tokenUse: 'access' })],
    [
      'without a user id',
      'no-user-id',
      () => idp.mintToken({ userId: 'alice', clientId: CLIENT_ID, extraClaims: { sub: undefined, 'cognito:username': undefined } }),
    ],
    ['garbage', 'malformed', () => 'a.b.c'],
    [
      'tampered',
      'bad-signature',
      () => idp.mintToken({ userId: 'alice', clientId: CLIENT_ID }).replace(/\.[^.]+\./, `.${Buffer.from('{"sub":"mallory"}').toString('base64url')}.`),
    ],
  ])('denies a token that is %s (403), and logs why: %s', async (_label, reason, token) => {
    const { result, lines } = await stdoutLines(() => authorize({ query: { Authorization: token() } }));
    expect(effect(result)).toBe('Deny');
    expect(result.context).toBeUndefined();
    expect(lines.filter((line) => line.message === 'websocket authorizer')).toEqual([expect.objectContaining({ effect: 'Deny', reason })]);
  });

  it('$connect echoes a named subprotocol, not the token', async () => {
    const token = idp.mintToken({ userId: 'alice', clientId: CLIENT_ID });
    const connected = await harness.connect('alice', 'conn-subprotocol=', { headers: { 'Sec-WebSocket-Protocol': `${token}, presence.v1` } });
    expect(connected).toEqual({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'presence.v1' } });
    const plain = await harness.connect('alice', 'conn-plain=', { headers: {} });
    expect(plain).toEqual({ statusCode: 200 });
  });
});
