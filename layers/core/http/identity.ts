import type { APIGatewayProxyEvent, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { allowanceMs } from '../config';
import { UnauthorizedError } from '../errors';
import type { ConnectionActivity } from '../model';

/** WebSocket routes: the user id the $connect authorizer put into the connection's context. */
export function connectionUser(event: Pick<APIGatewayProxyWebsocketEventV2, 'requestContext'>): string {
  const authorizer = (event.requestContext as { authorizer?: Record<string, unknown> }).authorizer;
  const userId = authorizer?.userId ?? authorizer?.principalId;
  if (typeof userId !== 'string' || !userId) throw new UnauthorizedError('Connection has no authenticated user');
  return userId;
}

/**
 * The connection a WebSocket message came on: its id, when API Gateway opened it, and how long it may
 * stay silent (2 x the heartbeat it negotiated + 30 s, which the authorizer put into the connection's
 * context; `defaultAllowanceMs`, PRESENCE_TIMEOUT_SECONDS, when it negotiated none).
 */
export function connectionActivity(
  event: Pick<APIGatewayProxyWebsocketEventV2, 'requestContext'>,
  defaultAllowanceMs: number,
  now = Date.now(),
): ConnectionActivity {
  const { connectionId, connectedAt } = event.requestContext;
  const heartbeatSeconds = Number((event.requestContext as { authorizer?: Record<string, unknown> }).authorizer?.heartbeatSeconds);
  return {
    connectionId,
    connectedAt: connectedAt ?? now,
    allowanceMs: Number.isInteger(heartbeatSeconds) && heartbeatSeconds > 0 ? allowanceMs(heartbeatSeconds) : defaultAllowanceMs,
  };
}

/** REST routes: the user id from the Cognito authorizer's verified claims. */
export function restUser(event: Pick<APIGatewayProxyEvent, 'requestContext'>, userIdClaim: string): string {
  const claims = event.requestContext.authorizer?.claims as Record<string, unknown> | undefined;
  const userId = claims?.[userIdClaim];
  if (typeof userId !== 'string' || !userId) throw new UnauthorizedError();
  return userId;
}
