import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { logger } from '../logger';
import type { Runtime } from '../runtime';
import { restErrors, websocketErrors } from './middleware';

export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & { authorizer?: Record<string, unknown> };
};
export type WebSocketResult = { statusCode: number; headers?: Record<string, string>; body?: string };

/*
 * Nothing appends per-request logger keys, so there is nothing for Powertools'
 * resetKeys to undo; leaving it off takes ~8 % off a heartbeat's CPU.
 */

/**
 * Middy answers this long before the function's timeout with its own TimeoutError (mapped to 503), so
 * the client gets our error frame or response, not API Gateway's "Internal server error".
 */
const TIMEOUT_EARLY = { timeoutEarlyInMillis: 500 };

/** The same middleware stack for every WebSocket route: context-aware logs, error frames. */
export function websocketRoute(runtime: Runtime, route: (event: WebSocketEvent) => Promise<WebSocketResult>) {
  return middy<WebSocketEvent, WebSocketResult, Error, Context>(TIMEOUT_EARLY)
    .use(injectLambdaContext(logger))
    .use(websocketErrors(runtime.service))
    .handler(route);
}

/** The same middleware stack for every REST route: context-aware logs, typed errors with CORS. */
export function restRoute(runtime: Runtime, route: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>(TIMEOUT_EARLY)
    .use(injectLambdaContext(logger))
    .use(restErrors(runtime.config.corsOrigin, runtime.config.presence.retryAfterSeconds))
    .handler(route);
}
