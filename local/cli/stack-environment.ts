/**
 * Gives this process the handlers' environment of a running local stack (its Redis, PostgreSQL,
 * management endpoint, issuer and presence settings), so a command runs functions exactly as that
 * stack does (`npm run invoke`, `npm run sweep -- --local`).
 */
import { localCredentialEnvironment } from '../aws-credentials';
import { applyEnvironment } from '../environment';
import type { StackRecord } from '../stacks';
import { CommandError } from './run';

export function useStackEnvironment(stack: StackRecord, defaultLogLevel?: string): void {
  const env = { ...stack.environment };
  // Stack files keep no passwords: take them from this command's own environment.
  for (const name of stack.credentialsRemoved) {
    const own = process.env[name]?.trim();
    if (!own)
      throw new CommandError(
        `The stack's ${name} has a password, which its stack file does not keep: run this command with the same ${name} set.`,
      );
    env[name] = own;
  }
  // The local stack's fixed credentials (never real ones): its Management API verifies every signature with them.
  Object.assign(env, localCredentialEnvironment());
  const logLevel = process.env.POWERTOOLS_LOG_LEVEL?.trim() || defaultLogLevel;
  if (logLevel) env.POWERTOOLS_LOG_LEVEL = logLevel;
  applyEnvironment(env);
}
