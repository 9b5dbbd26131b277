/**
 * The token verifier with JWT_TOKEN_USE=access: access tokens carry no `aud`, so the app client is
 * checked in `client_id`, which must be one of the configured clients' ids as a string. Real RS256
 * tokens from the local identity provider, its JWKS fetched over loopback HTTP.
 */
import { createTokenVerifier, TokenRefusedError } from '../../layers/core/auth/verifier';
import { startIdentityProvider, type IdentityProvider, type MintTokenOptions } from '../../local/identity-provider';

const CLIENT_ID = 'presence-web-client';

describe('access-token verifier', () => {
  let idp: IdentityProvider;

  beforeAll(async () => {
    idp = await startIdentityProvider();
  });

  afterAll(async () => {
    await idp?.close();
  });

  const verify = (token: string) =>
    createTokenVerifier({
      kind: 'generic',
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      clientIds: [CLIENT_ID, 'second-client'],
      tokenUse: 'access',
      userIdClaim: 'username',
    }).verify(token);
  const accessToken = (options: Partial<MintTokenOptions>) =>
    idp.mintToken({ userId: 'alice', clientId: CLIENT_ID, tokenUse: 'access', ...options });

  it('accepts an access token of any configured client, with the username as user id', async () => {
    await expect(verify(accessToken({}))).resolves.toBe('alice');
    await expect(verify(accessToken({ clientId: 'second-client' }))).resolves.toBe('alice');
  });

  it.each([
    ['of another client', { clientId: 'someone-else' }],
    ['whose client_id is a list holding a configured id', { extraClaims: { client_id: [CLIENT_ID] } }],
    ['without a client_id', { extraClaims: { client_id: undefined } }],
  ])('refuses one %s as wrong-audience', async (_label, options) => {
    const refusal = await verify(accessToken(options)).then(
      () => 'accepted',
      (error: unknown) => (error instanceof TokenRefusedError ? error.reason : error),
    );
    expect(refusal).toBe('wrong-audience');
  });
});
