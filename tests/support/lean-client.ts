import { CredentialCache, type Credentials } from '../../layers/core/push/credentials';
import { ManagementApiClient } from '../../layers/core/push/management-api-client';

/** The lean @connections client with fixed credentials (no credential chain, no environment). */
export function leanClient(endpoint: string, credentials: Credentials, region = 'us-east-1', connections = 2): ManagementApiClient {
  return new ManagementApiClient({
    endpoint,
    region,
    connections,
    timeoutMs: 2_000,
    credentials: new CredentialCache(() => Promise.resolve(credentials)),
  });
}
