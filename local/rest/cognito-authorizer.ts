/**
 * API Gateway's Cognito user pool authorizer, emulated with the same verifier the WebSocket authorizer
 * uses (aws-jwt-verify against the configured issuer and JWKS): the token comes from the configured
 * header, raw or as `Bearer <token>`; a missing or invalid token is a 401 before any handler runs.
 * On success the handler sees the token's claims in requestContext.authorizer.claims, as strings,
 * the way API Gateway passes them.
 */
import { createTokenVerifier, type TokenVerifier } from '../../layers/core/auth/verifier';
import { loadJwtConfig } from '../../layers/core/config';

export type ClaimsResult = { ok: true; claims: Record<string, string> } | { ok: false; reason: 'missing' | 'invalid' };

/** The payload of a token whose signature and claims were already verified. */
function payloadOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function asClaimString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(String).join(' ')}]`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // Parsed JSON: the rest is null or an object.
  return JSON.stringify(value);
}

export class CognitoAuthorizer {
  private readonly verifier: TokenVerifier;

  constructor(env: Record<string, string | undefined>) {
    this.verifier = createTokenVerifier(loadJwtConfig(env));
  }

  async authorize(headerValue: string | undefined): Promise<ClaimsResult> {
    const token = headerValue?.trim().replace(/^Bearer\s+/i, '');
    if (!token) return { ok: false, reason: 'missing' };
    try {
      await this.verifier.verify(token);
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    const claims = Object.fromEntries(Object.entries(payloadOf(token)).map(([key, value]) => [key, asClaimString(value)]));
    return { ok: true, claims };
  }
}
