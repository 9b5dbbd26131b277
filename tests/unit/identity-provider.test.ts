/**
 * local/identity-provider.ts: tokens it mints verify with aws-jwt-verify against the JWKS it serves over
 * real (loopback) HTTP, and the usual bad tokens are rejected.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import {
  createSigningKey,
  httpJwksFetcher,
  loadOrCreateSigningKey,
  localSub,
  mintToken,
  startIdentityProvider,
  type IdentityProvider,
  type SigningKey,
  type TokenUse,
} from '../../local/identity-provider';

const CLIENT_ID = 'local-client';

function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  const part = token.split('.')[index];
  if (!part) throw new Error('malformed token');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('local identity provider', () => {
  let idp: IdentityProvider;
  let otherKey: SigningKey;

  beforeAll(async () => {
    [idp, otherKey] = await Promise.all([startIdentityProvider(), createSigningKey()]);
  });

  afterAll(async () => {
    await idp?.close();
  });

  /** A fresh verifier per test, so JWKS caching and kid penalty boxes never leak between cases. */
  function verifier(tokenUse: TokenUse = 'id') {
    return JwtVerifier.create(
      {
        issuer: idp.issuer,
        jwksUri: idp.jwksUri,
        audience: tokenUse === 'id' ? CLIENT_ID : null,
        customJwtCheck: ({ payload }) => {
          if (payload.token_use !== tokenUse) throw new Error(`expected token_use ${tokenUse}, got ${JSON.stringify(payload.token_use)}`);
          if (tokenUse === 'access' && payload.client_id !== CLIENT_ID) throw new Error('unexpected client_id');
        },
      },
      { jwksCache: new SimpleJwksCache({ fetcher: httpJwksFetcher }) },
    );
  }

  it('serves the JWKS on loopback at ${issuer}/.well-known/jwks.json', async () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/local-user-pool$/);
    expect(idp.jwksUri).toBe(`${idp.issuer}/.well-known/jwks.json`);
    for (const uri of [idp.jwksUri, `http://127.0.0.1:${idp.port}/.well-known/jwks.json`]) {
      const response = await fetch(uri);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { keys: Array<Record<string, unknown>> };
      expect(body.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: idp.key.kid })]);
      // Only the public half is published.
      expect(body.keys[0]).not.toHaveProperty('d');
    }
    expect((await fetch(`http://127.0.0.1:${idp.port}/nope`)).status).toBe(404);
  });

  it('mints Cognito-shaped id tokens that aws-jwt-verify accepts', async () => {
    const token = idp.mintToken({ userId: 'u1', clientId: CLIENT_ID });
    expect(decodePart(token, 0)).toEqual({ kid: idp.key.kid, alg: 'RS256' });
    const payload = await verifier('id').verify(token);
    expect(payload).toMatchObject({
      sub: localSub('u1'),
      'cognito:username': 'u1',
      email: 'u1@example.test',
      aud: CLIENT_ID,
      iss: idp.issuer,
      token_use: 'id',
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(3600);
    expect(payload.auth_time).toBe(payload.iat);
  });

  it("gives each user a sub of Cognito's shape that is never the username", () => {
    expect(localSub('alice')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(localSub('alice')).toBe(localSub('alice'));
    expect(localSub('alice')).not.toBe(localSub('bob'));
  });

  it('mints access tokens with client_id, username and scope', async () => {
    const token = idp.mintToken({ userId: 'u2', clientId: CLIENT_ID, tokenUse: 'access', extraClaims: { custom: 'x' } });
    const payload = await verifier('access').verify(token);
    expect(payload).toMatchObject({
      sub: localSub('u2'),
      username: 'u2',
      client_id: CLIENT_ID,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      custom: 'x',
    });
    expect(payload).not.toHaveProperty('aud');
    await expect(verifier('id').verify(token)).rejects.toThrow();
  });

  it('rejects an expired token', async () => {
    const token = idp.mintToken({ userId: 'u1', clientId: CLIENT_ID, expiresInSeconds: -60 });
    await expect(verifier().verify(token)).rejects.toThrow(/expired/i);
  });

  it('rejects a token signed by another key under the published kid', async () => {
    const token = idp.mintToken({ userId: 'u1', clientId: CLIENT_ID, key: otherKey, kid: idp.key.kid });
    await expect(verifier().verify(token)).rejects.toThrow(/signature/i);
  });

  it('rejects a token whose kid is not in the JWKS', async () => {
    const token = idp.mintToken({ userId: 'u1', clientId: CLIENT_ID, key: otherKey });
    await expect(verifier().verify(token)).rejects.toThrow(/not found in the JWKS/);
  });

  it('rejects a token from another issuer', async () => {
    const token = idp.mintToken({ userId: 'u1', clientId: CLIENT_ID, issuer: 'http://127.0.0.1:1/other-pool' });
    await expect(verifier().verify(token)).rejects.toThrow(/issuer/i);
  });

  it('rejects a token for another client', async () => {
    const id = idp.mintToken({ userId: 'u1', clientId: 'other-client' });
    await expect(verifier('id').verify(id)).rejects.toThrow(/audience/i);
    const access = idp.mintToken({ userId: 'u1', clientId: 'other-client', tokenUse: 'access' });
    await expect(verifier('access').verify(access)).rejects.toThrow(/client_id/);
  });

  it('publishes extra keys for rotation', async () => {
    const rotated = await createSigningKey({ kid: 'rotated-key' });
    const token = mintToken({ userId: 'u3', clientId: CLIENT_ID, issuer: idp.issuer, key: rotated });
    await expect(verifier().verify(token)).rejects.toThrow(/not found in the JWKS/);
    idp.addKey(rotated);
    await expect(verifier().verify(token)).resolves.toMatchObject({ 'cognito:username': 'u3' });
  });

  it('persists the signing key so a restarted provider accepts earlier tokens', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'presence-idp-'));
    try {
      const first = await startIdentityProvider({ keyDir: dir });
      const token = first.mintToken({ userId: 'u4', clientId: CLIENT_ID });
      const port = first.port;
      await first.close();
      expect((await stat(path.join(dir, 'signing-key.json'))).mode & 0o777).toBe(0o600);

      const second = await startIdentityProvider({ keyDir: dir, port });
      try {
        expect(second.issuer).toBe(first.issuer);
        expect(second.key.kid).toBe(first.key.kid);
        const restarted = JwtVerifier.create(
          { issuer: second.issuer, jwksUri: second.jwksUri, audience: CLIENT_ID },
          { jwksCache: new SimpleJwksCache({ fetcher: httpJwksFetcher }) },
        );
        await expect(restarted.verify(token)).resolves.toMatchObject({ 'cognito:username': 'u4' });
      } finally {
        await second.close();
      }
      expect((await loadOrCreateSigningKey(dir)).kid).toBe(first.key.kid);
      expect(JSON.parse(await readFile(path.join(dir, 'signing-key.json'), 'utf8'))).toHaveProperty('d');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
