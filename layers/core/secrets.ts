type SecretsManager = typeof import('@aws-sdk/client-secrets-manager');

/**
 * One secret's string from Secrets Manager. The client loads only now, so a function configured without a
 * secret never loads it; every wait is bounded: `timeoutMs` to connect and to answer, two attempts.
 */
export async function readSecretString(secretArn: string, region: string | undefined, timeoutMs: number): Promise<string> {
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
    return output.SecretString ?? '';
  } finally {
    client.destroy();
  }
}
