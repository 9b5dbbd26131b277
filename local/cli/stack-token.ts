/** Tokens for a running local stack: signed with its key, with its issuer and app client id. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadOrCreateSigningKey, mintToken, type SigningKey, type TokenUse } from '../identity-provider';
import type { StackRecord } from '../stacks';
import { CommandError } from './run';

export interface StackTokenOptions {
  tokenUse?: TokenUse;
  expiresInSeconds?: number;
}

/** The stack's signing key; never created here: the stack would not accept tokens signed with a key it does not publish. */
export async function stackSigningKey(stack: Pick<StackRecord, 'keyDir'>): Promise<SigningKey> {
  if (!existsSync(path.join(stack.keyDir, 'signing-key.json'))) {
    throw new CommandError(`The stack's signing key is missing from ${stack.keyDir}; restart npm start to create it.`);
  }
  return loadOrCreateSigningKey(stack.keyDir);
}

export async function stackToken(
  stack: Pick<StackRecord, 'keyDir' | 'clientId' | 'issuer'>,
  userId: string,
  options: StackTokenOptions = {},
): Promise<string> {
  return mintToken({ userId, clientId: stack.clientId, issuer: stack.issuer, key: await stackSigningKey(stack), ...options });
}
