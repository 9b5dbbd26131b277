import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Pool } from 'pg';
import type { PostgresConfig } from '../config';

/** Reads the password once per container; pg calls this only when it opens a connection. */
function secretPassword(secretArn: string, region: string | undefined): () => Promise<string> {
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= new SecretsManagerClient({ region })
      .send(new GetSecretValueCommand({ SecretId: secretArn }))
      .then((output) => {
        const raw = output.SecretString ?? '';
        try {
          const parsed = JSON.parse(raw) as { password?: unknown };
          if (typeof parsed.password === 'string') return parsed.password;
        } catch {
          // A plain-string secret is the password itself.
        }
        return raw;
      })
      .catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
    return cached;
  };
}

/** One pool per container, reused across invocations; small because a Lambda serves one request at a time. */
export function createPool(config: PostgresConfig, region?: string): Pool {
  const common = {
    max: config.poolMax,
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 5_000,
    ssl: config.ssl ? { rejectUnauthorized: true } : undefined,
    application_name: 'presence-api',
  };
  if (config.connectionString) return new Pool({ ...common, connectionString: config.connectionString });
  return new Pool({
    ...common,
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: config.passwordSecretArn ? secretPassword(config.passwordSecretArn, region) : undefined,
  });
}
