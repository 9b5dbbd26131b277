import { ConfigError } from '../config';
import type { ConnectionGateway, DeliveryResult } from '../ports/connection-gateway';
import { ManagementApiClient, type ConnectionInfo } from './management-api-client';

/** Default bound on each attempt of a push (PUSH_TIMEOUT_MS). */
export const DEFAULT_PUSH_TIMEOUT_MS = 2_000;

/** The ConnectionGateway of a deployed stack: the lean SigV4 client of ./management-api-client.ts. */
export class ApiGatewayConnectionGateway implements ConnectionGateway {
  constructor(readonly client: ManagementApiClient) {}

  /**
   * `connections`: the most requests one container has in flight (its push concurrency), so every
   * request has a socket. Region: the configured one (AWS_REGION in Lambda), else the endpoint's.
   */
  static create(
    endpoint: string,
    region: string | undefined,
    connections = 64,
    timeoutMs = DEFAULT_PUSH_TIMEOUT_MS,
  ): ApiGatewayConnectionGateway {
    const signingRegion = region ?? /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(endpoint).hostname)?.[1];
    if (!signingRegion) throw new ConfigError(`No region to sign requests to ${endpoint} with: set AWS_REGION`);
    return new ApiGatewayConnectionGateway(new ManagementApiClient({ endpoint, region: signingRegion, connections, timeoutMs }));
  }

  post(connectionId: string, data: Uint8Array): Promise<DeliveryResult> {
    return this.client.postToConnection(connectionId, data);
  }

  close(connectionId: string): Promise<DeliveryResult> {
    return this.client.deleteConnection(connectionId);
  }

  /** GetConnection: nothing in the core needs it today. */
  describe(connectionId: string): Promise<ConnectionInfo | 'gone'> {
    return this.client.getConnection(connectionId);
  }
}
