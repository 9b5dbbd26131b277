import { LOCAL_AWS_CREDENTIALS } from '../../../local/aws-credentials';
import { CredentialCache } from '../../../layers/core/push/credentials';
import { ManagementApiClient } from '../../../layers/core/push/management-api-client';

/**
 * DeleteConnection as a handler sends it (signed with the local stack's credentials, which its
 * Management API verifies): 'sent' when the connection existed, 'gone' when not.
 */
export async function deleteConnection(managementApi: string, connectionId: string): Promise<'sent' | 'gone'> {
  const client = new ManagementApiClient({
    endpoint: managementApi,
    region: 'us-east-1',
    connections: 1,
    timeoutMs: 2000,
    credentials: new CredentialCache(() => Promise.resolve({ ...LOCAL_AWS_CREDENTIALS })),
  });
  try {
    return await client.deleteConnection(connectionId);
  } finally {
    await client.close();
  }
}
