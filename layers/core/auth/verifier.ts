import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwksNotAvailableInCacheError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { ConfigError, type JwtConfig } from '../config';
import { UnauthorizedError } from '../errors';

export interface TokenVerifier {
  /** Resolves the user id of a fully verified token; rejects with TokenRefusedError (and why) otherwise. */
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

/** Why a token was refused, for logs and the AuthorizerRefusals metric (never the token itself). */
export type RefusalReason =
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'wrong-token-use'
  | 'bad-signature'
  | 'unknown-key'
  | 'malformed'
  | 'no-user-id'
  | 'keys-unavailable'
  | 'invalid';

export class TokenRefusedError extends UnauthorizedError {
  constructor(readonly reason: RefusalReason) {
    super('Invalid token');
  }
}

class WrongTokenUseError extends Error {}
class WrongClientError extends Error {}

const REASONS: Array<[new (...args: never[]) => Error, RefusalReason]> = [
  [JwtExpiredError, 'expired'],
  [JwtNotBeforeError, 'not-yet-valid'],
  [JwtInvalidIssuerError, 'wrong-issuer'],
  [JwtInvalidAudienceError, 'wrong-audience'],
  [CognitoJwtInvalidClientIdError, 'wrong-audience'],
  [WrongClientError, 'wrong-audience'],
  [CognitoJwtInvalidTokenUseError, 'wrong-token-use'],
  [WrongTokenUseError, 'wrong-token-use'],
  [JwtInvalidSignatureError, 'bad-signature'],
  [JwtInvalidSignatureAlgorithmError, 'bad-signature'],
  [KidNotFoundInJwksError, 'unknown-key'],
  [JwtWithoutValidKidError, 'unknown-key'],
  [JwtParseError, 'malformed'],
  [JwksNotAvailableInCacheError, 'keys-unavailable'],
  [FetchError, 'keys-unavailable'],
];

export function refusalReason(error: unknown): RefusalReason {
  if (error instanceof TokenRefusedError) return error.reason;
  return REASONS.find(([type]) => error instanceof type)?.[1] ?? 'invalid';
}

function checkTokenUse(payload: JwtPayload, tokenUse: string): void {
  if (payload.token_use !== tokenUse) throw new WrongTokenUseError(`token_use must be ${tokenUse}`);
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
      // Claim errors carry the (signature-checked) payload, so a refusal can say what was wrong with it.
      includeRawJwtInErrors: true,
    });
  } else {
    const jwksCache = jwksCacheFor(config.jwksUri);
    raw = JwtVerifier.create(
      {
        issuer: config.issuer,
        jwksUri: config.jwksUri,
        // Cognito puts the app client id in `aud` (id tokens) or `client_id` (access tokens).
        audience: config.tokenUse === 'id' ? config.clientIds : null,
        includeRawJwtInErrors: true,
        customJwtCheck: ({ payload }) => {
          checkTokenUse(payload, config.tokenUse);
          const clientId = payload.client_id;
          if (config.tokenUse === 'access' && (typeof clientId !== 'string' || !config.clientIds.includes(clientId))) {
            throw new WrongClientError('client_id not allowed');
          }
        },
      },
      jwksCache ? { jwksCache } : undefined,
    );
  }
  return {
    async verify(token: string): Promise<string> {
      let payload: JwtPayload;
      try {
        payload = await raw.verify(token);
      } catch (error) {
        // An access token offered where id tokens are expected fails the audience check first (it has no
        // `aud`); its token_use says what is really wrong.
        const claims = error instanceof JwtInvalidClaimError ? error.rawJwt?.payload : undefined;
        if (claims && claims.token_use !== undefined && claims.token_use !== config.tokenUse)
          throw new TokenRefusedError('wrong-token-use');
        throw new TokenRefusedError(refusalReason(error));
      }
      const userId = payload[config.userIdClaim];
      if (typeof userId !== 'string' || userId === '') throw new TokenRefusedError('no-user-id');
      return userId;
    },
    hydrate: () => raw.hydrate(),
  };
}
