import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { ConfigError, type JwtConfig } from '../config';
import { UnauthorizedError } from '../errors';

export interface TokenVerifier {
  /** Resolves the user id of a fully verified token; rejects with UnauthorizedError otherwise. */
  verify(token: string): Promise<string>;
  /** Fetches the JWKS ahead of the first request (call at init). */
  hydrate(): Promise<void>;
}

interface RawVerifier {
  verify(token: string): Promise<JwtPayload>;
  hydrate(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * aws-jwt-verify fetches JWKS over HTTPS only. The local identity provider
 * serves plain HTTP on loopback; allow exactly that and nothing else.
 */
function jwksCacheFor(jwksUri: string): SimpleJwksCache | undefined {
  const url = new URL(jwksUri);
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) {
    throw new ConfigError('JWT_JWKS_URI must be https (plain http only on loopback for local runs)');
  }
  return new SimpleJwksCache({
    fetcher: {
      async fetch(uri: string): Promise<ArrayBuffer> {
        const response = await fetch(uri, { signal: AbortSignal.timeout(3000) });
        if (response.status !== 200) throw new Error(`JWKS fetch answered ${response.status}`);
        return response.arrayBuffer();
      },
    },
  });
}

function checkTokenUse(payload: JwtPayload, tokenUse: string): void {
  if (payload.token_use !== tokenUse) throw new Error(`token_use must be ${tokenUse}`);
}

/**
 * Cognito in AWS, or any issuer + JWKS URL (local runs, tests). Both check
 * signature, issuer, expiry, token_use and client id; there is no bypass.
 */
export function createTokenVerifier(config: JwtConfig): TokenVerifier {
  let raw: RawVerifier;
  if (config.kind === 'cognito') {
    raw = CognitoJwtVerifier.create({
      userPoolId: config.userPoolId,
      tokenUse: config.tokenUse,
      clientId: config.clientIds,
    }) as unknown as RawVerifier;
  } else {
    const jwksCache = jwksCacheFor(config.jwksUri);
    raw = JwtVerifier.create(
      {
        issuer: config.issuer,
        jwksUri: config.jwksUri,
        // Cognito puts the app client id in `aud` (id tokens) or `client_id` (access tokens).
        audience: config.tokenUse === 'id' ? config.clientIds : null,
        customJwtCheck: ({ payload }) => {
          checkTokenUse(payload, config.tokenUse);
          if (config.tokenUse === 'access' && !config.clientIds.includes(String(payload.client_id))) {
            throw new Error('client_id not allowed');
          }
        },
      },
      jwksCache ? { jwksCache } : undefined,
    ) as unknown as RawVerifier;
  }
  return {
    async verify(token: string): Promise<string> {
      let payload: JwtPayload;
      try {
        payload = await raw.verify(token);
      } catch {
        throw new UnauthorizedError('Invalid token');
      }
      const userId = payload[config.userIdClaim];
      if (typeof userId !== 'string' || userId === '') throw new UnauthorizedError('Token has no user id');
      return userId;
    },
    hydrate: () => raw.hydrate(),
  };
}
