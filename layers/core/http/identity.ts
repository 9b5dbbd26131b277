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

/** Whose tokens the REST routes accept, and where the user id is in their claims. */
interface RestCallers {
  userIdClaim: string;
  clientIds: readonly string[];
}

function claimString(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value ? value : undefined;
}

/**
 * REST routes: the user id from the Cognito authorizer's verified claims, for a token of an accepted app
 * client only (API Gateway's authorizer accepts every app client of the pool; the WebSocket authorizer
 * checks the client too). ID tokens name their client in `aud`, access tokens in `client_id`. A refusal
 * is a 401 whose reason goes into the invocation's log line (`log`), never the token.
 */
export function restUser(event: Pick<APIGatewayProxyEvent, 'requestContext'>, callers: RestCallers, log: Record<string, unknown>): string {
  const claims = event.requestContext.authorizer?.claims as Record<string, unknown> | undefined;
  if (!claims) {
    log.reason = 'missing';
    throw new UnauthorizedError();
  }
  const clientId = claimString(claims, 'aud') ?? claimString(claims, 'client_id');
  if (!clientId || !callers.clientIds.includes(clientId)) {
    log.reason = 'wrong-audience';
    log.clientId = clientId;
    throw new UnauthorizedError();
  }
  const userId = claimString(claims, callers.userIdClaim);
  if (!userId) {
    log.reason = 'no-user-id';
    throw new UnauthorizedError();
  }
  return userId;
}
