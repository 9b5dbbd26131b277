import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

export type DeliveryResult = 'sent' | 'gone';

/** The two things we ask of API Gateway's @connections API. */
export interface ConnectionGateway {
  post(connectionId: string, data: Uint8Array): Promise<DeliveryResult>;
  close(connectionId: string): Promise<DeliveryResult>;
}

function isGone(error: unknown): boolean {
  return (
    error instanceof GoneException ||
    (error as { name?: string })?.name === 'GoneException' ||
    (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 410
  );
}

export class ApiGatewayConnectionGateway implements ConnectionGateway {
  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  static create(endpoint: string, region: string | undefined): ApiGatewayConnectionGateway {
    return new ApiGatewayConnectionGateway(new ApiGatewayManagementApiClient({ endpoint, region, maxAttempts: 2 }));
  }

  async post(connectionId: string, data: Uint8Array): Promise<DeliveryResult> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      return 'sent';
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  }

  async close(connectionId: string): Promise<DeliveryResult> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      return 'sent';
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  }
}
