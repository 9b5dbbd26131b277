/**
 * The AWS SDK v3 ApiGatewayManagementApiClient behind the ConnectionGateway
 * interface, tuned as the product used it before the lean client (cached
 * middleware stack, fixed user agent, keep-alive agents sized to the push
 * concurrency): the benchmark's "SDK client alone" comparison row. A
 * devDependency; no function bundles it.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionGateway, DeliveryResult } from '../layers/core/ports/connection-gateway';

const isGone = (error: unknown): boolean =>
  (error as { name?: string })?.name === 'GoneException' ||
  (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 410;

export function sdkGateway(endpoint: string, region: string, maxSockets: number): ConnectionGateway {
  const client = new ApiGatewayManagementApiClient({
    endpoint,
    region,
    maxAttempts: 2,
    cacheMiddleware: true,
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    },
  });
  client.middlewareStack.remove('getUserAgentMiddleware');
  const send = async (command: PostToConnectionCommand | DeleteConnectionCommand): Promise<DeliveryResult> => {
    try {
      await client.send(command as PostToConnectionCommand);
      return 'sent';
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  };
  return {
    post: (connectionId, data) => send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data })),
    close: (connectionId) => send(new DeleteConnectionCommand({ ConnectionId: connectionId })),
  };
}
