type SecretsManager = typeof import('@aws-sdk/client-secrets-manager');

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

/**
 * Reads the credentials from Secrets Manager (the caller keeps them: one read per container). The client
 * loads only now, so a function configured without a secret never loads it; every wait is bounded:
 * `timeoutMs` to connect and to answer, two attempts.
 */
export async function readRedisCredentials(secretArn: string, region: string | undefined, timeoutMs: number): Promise<RedisCredentials> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  const { GetSecretValueCommand, SecretsManagerClient } = require('@aws-sdk/client-secrets-manager') as SecretsManager;
  const client = new SecretsManagerClient({
    region,
    maxAttempts: 2,
    // Without throwOnRequestTimeout the SDK only warns when a request runs past requestTimeout, and waits on.
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  });
  try {
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    return parseRedisSecret(output.SecretString ?? '');
  } finally {
    client.destroy();
  }
}
