import type { APIGatewayProxyEvent, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { UnauthorizedError } from '../errors';

/** WebSocket routes: the user id the $connect authorizer put into the connection's context. */
export function connectionUser(event: Pick<APIGatewayProxyWebsocketEventV2, 'requestContext'>): string {
  const authorizer = (event.requestContext as { authorizer?: Record<string, unknown> }).authorizer;
  const userId = authorizer?.userId ?? authorizer?.principalId;
  if (typeof userId !== 'string' || !userId) throw new UnauthorizedError('Connection has no authenticated user');
  return userId;
}

/** REST routes: the user id from the Cognito authorizer's verified claims. */
export function restUser(event: Pick<APIGatewayProxyEvent, 'requestContext'>, userIdClaim: string): string {
  const claims = event.requestContext.authorizer?.claims as Record<string, unknown> | undefined;
  const userId = claims?.[userIdClaim];
  if (typeof userId !== 'string' || !userId) throw new UnauthorizedError();
  return userId;
}
