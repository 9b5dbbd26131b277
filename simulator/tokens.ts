/**
 * Users' tokens, minted in this process with the stack's signing key, issuer and app client id (what
 * `npm run token` does), and minted again before they expire: a long run outlives a token's hour.
 */
import { stackSigningKey } from '../local/cli/stack-token';
import { mintToken, type SigningKey } from '../local/identity-provider';
import type { StackRecord } from '../local/stacks';

/** Wall seconds a token lives (Cognito's default) and how long before its end it is replaced. */
const LIFETIME_SECONDS = 3600;
const RENEW_BEFORE_SECONDS = 600;

export class TokenMinter {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  /** Tokens minted, first ones and renewals. */
  minted = 0;

  private constructor(
    private readonly stack: Pick<StackRecord, 'clientId' | 'issuer'>,
    private readonly key: SigningKey,
  ) {}

  static async forStack(stack: Pick<StackRecord, 'keyDir' | 'clientId' | 'issuer'>): Promise<TokenMinter> {
    return new TokenMinter(stack, await stackSigningKey(stack));
  }

  /** A token for the user valid for at least RENEW_BEFORE_SECONDS more. */
  tokenFor(userId: string, nowMs = Date.now()): string {
    const cached = this.tokens.get(userId);
    if (cached && cached.expiresAt - nowMs > RENEW_BEFORE_SECONDS * 1000) return cached.token;
    const issuedAt = Math.floor(nowMs / 1000);
    const token = mintToken({ userId, clientId: this.stack.clientId, issuer: this.stack.issuer, key: this.key, issuedAt, expiresInSeconds: LIFETIME_SECONDS });
    this.tokens.set(userId, { token, expiresAt: (issuedAt + LIFETIME_SECONDS) * 1000 });
    this.minted += 1;
    return token;
  }
}
