import { readSecretString } from '../secrets';

/** What AUTH sends: a token alone (the default user), or an RBAC user and its password. */
export interface RedisCredentials {
  username?: string;
  password: string;
}

/** The secret's content is of no form Redis credentials take (the message never holds the content). */
export class RedisSecretFormatError extends Error {
  override name = 'RedisSecretFormatError';
}

/**
 * A secret holds an AUTH token as a plain string, or an RBAC user as JSON `{"username", "password"}` (an
 * ElastiCache user's rotated secret has that shape, with more keys). JSON with a password and no username
 * is a token too.
 */
export function parseRedisSecret(secret: string): RedisCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const { username, password } = parsed as { username?: unknown; password?: unknown };
    if (typeof password !== 'string' || !password || (username !== undefined && typeof username !== 'string')) {
      throw new RedisSecretFormatError('the Redis secret is JSON without a "password" string (or with a "username" that is not one)');
    }
    return username ? { username, password } : { password };
  }
  if (!secret) throw new RedisSecretFormatError('the Redis secret is empty');
  return { password: secret };
}

/** Reads the credentials from Secrets Manager (the caller keeps them: one read per container). */
export async function readRedisCredentials(secretArn: string, region: string | undefined, timeoutMs: number): Promise<RedisCredentials> {
  return parseRedisSecret(await readSecretString(secretArn, region, timeoutMs));
}
