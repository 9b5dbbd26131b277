import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
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

  /** `maxSockets`: the most posts one container has in flight (its push concurrency). */
  static create(endpoint: string, region: string | undefined, maxSockets = 64): ApiGatewayConnectionGateway {
    const client = new ApiGatewayManagementApiClient({
      endpoint,
      region,
      maxAttempts: 2,
      // Every post runs the same command with the same options: resolve the middleware stack once, not per post.
      cacheMiddleware: true,
      requestHandler: {
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      },
    });
    useFixedUserAgent(client);
    return new ApiGatewayConnectionGateway(client);
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

export const USER_AGENT = `presence-api aws-sdk-js/3 lang/js md/nodejs#${process.versions.node}`;

/**
 * The SDK rebuilds the same user-agent string for every request, which costs
 * about a fifth of a post's CPU in the fan-out profile. A fan-out sends
 * thousands of identical requests, so the header is fixed once per client.
 */
function useFixedUserAgent(client: ApiGatewayManagementApiClient): void {
  client.middlewareStack.remove('getUserAgentMiddleware');
  client.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) {
        request.headers['user-agent'] = USER_AGENT;
        request.headers['x-amz-user-agent'] = 'aws-sdk-js/3';
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'fixedUserAgentMiddleware' },
  );
}
