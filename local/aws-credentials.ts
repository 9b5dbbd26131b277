/**
 * The local stack's fixed AWS credentials: the handlers sign their
 * @connections requests with them and the local Management API verifies
 * those signatures with them (local/sigv4-verifier.ts). Never real ones.
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const LOCAL_AWS_CREDENTIALS: Readonly<AwsCredentials> = Object.freeze({
  accessKeyId: 'AKIDLOCALPRESENCE',
  secretAccessKey: 'local-presence-api-secret-not-a-real-key',
});

/** The same credentials as the environment the handlers' credential chain reads first. */
export function localCredentialEnvironment(credentials: AwsCredentials = LOCAL_AWS_CREDENTIALS): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
  };
}
