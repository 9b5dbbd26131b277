import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayProxyWebsocketEventV2,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { ConfigError, type Config } from '../config';
import { restUser } from '../http/identity';
import { restCors, restErrors, websocketErrors, type ErrorFrames } from '../http/middleware';
import { logger } from '../logger';
import { invocationFields, invocationLog, type InvocationFields } from './invocation';
import { taskErrors } from './task-errors';
import { withTracing } from './tracing';

export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & { authorizer?: Record<string, unknown> };
};
export type WebSocketResult = { statusCode: number; headers?: Record<string, string>; body?: string };

/** A handler's work: the parsed event in, the answer out; `log` adds fields to the invocation's log line. */
type Route<E, R> = (event: E, log: InvocationFields) => Promise<R>;

/**
 * Middy answers this long before the function's timeout with its own TimeoutError (mapped to 503), so
 * the client gets our error frame or response, not API Gateway's "Internal server error". A route whose
 * every wait is bounded far below the timeout (one Redis call, at most one error frame: heartbeat,
 * $default) needs no such backstop, and spares the timer and the race it costs on every invocation
 * (15 % of a heartbeat's throughput in the benchmark).
 */
const TIMEOUT_EARLY = { timeoutEarlyInMillis: 500 };
const BOUNDED = { timeoutEarlyInMillis: 0 };

export interface RouteOptions {
  /** Every wait of the route is bounded far below the function's timeout (see BOUNDED). */
  bounded?: boolean;
  /**
   * Which successes are routine (a heartbeat, an update fanned out as usual): logged at DEBUG, so the
   * INFO log an operator reads (and CloudWatch bills per GB) holds refusals, failures and what is unusual.
   * Lambda's own Invocations metric and API Gateway's MessageCount count the routine ones.
   */
  routine?: (fields: InvocationFields) => boolean;
}

/**
 * The middy handler of a route, outermost Powertools' injectLambdaContext: the invocation's Lambda
 * context (request id, function name) on every log line it writes, also where invocations run
 * concurrently in one process (Lambda's concurrent mode, the local runtime), and the keys an invocation
 * added removed when it ends.
 */
function build<E, R>(route: Route<E, R>, options: RouteOptions = {}) {
  return middy<E, R, Error, Context>(options.bounded ? BOUNDED : TIMEOUT_EARLY)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event: E) => route(event, invocationFields(event)));
}

function authorizerUser(event: WebSocketEvent): unknown {
  const authorizer = event.requestContext.authorizer;
  return authorizer?.userId ?? authorizer?.principalId;
}

/**
 * Every WebSocket route: one log line per invocation (route, user, connection, status, duration and
 * what the route adds, e.g. pushes), error frames for bad messages and outages, reconnect for stale
 * connections and flooders.
 */
export function websocketHandler(frames: ErrorFrames, route: Route<WebSocketEvent, WebSocketResult>, options: RouteOptions = {}) {
  return withTracing(
    build(route, options)
      .use(
        invocationLog<WebSocketEvent, WebSocketResult>({
          message: 'websocket route',
          describe: (event, response) => ({
            route: event.requestContext.routeKey,
            userId: authorizerUser(event),
            connectionId: event.requestContext.connectionId,
            status: response?.statusCode,
          }),
          quiet: options.routine,
        }),
      )
      .use(websocketErrors(frames)),
  );
}

/** A REST route's work: the request and its caller's user id in, the answer out. */
type RestRoute = (event: APIGatewayProxyEvent, userId: string, log: InvocationFields) => Promise<APIGatewayProxyResult>;

/**
 * Every REST route: the caller from the authorizer's claims, for accepted app clients only (401 otherwise,
 * logged with the reason), one log line per request, typed errors (503 with Retry-After for outages), and
 * the CORS headers for the request's Origin on every answer. Fails at init without JWT_CLIENT_IDS.
 */
export function restHandler(config: Pick<Config, 'userIdClaim' | 'restClientIds' | 'corsAllowOrigins' | 'presence'>, route: RestRoute) {
  const { userIdClaim } = config;
  if (config.restClientIds.length === 0) {
    throw new ConfigError("JWT_CLIENT_IDS must list at least one app client id: the REST functions accept only these clients' tokens");
  }
  const callers = { userIdClaim, clientIds: config.restClientIds };
  return withTracing(
    build<APIGatewayProxyEvent, APIGatewayProxyResult>((event, log) => route(event, restUser(event, callers, log), log))
      .use(
        invocationLog<APIGatewayProxyEvent, APIGatewayProxyResult>({
          message: 'rest request',
          describe: (event, response) => ({
            method: event.httpMethod,
            resource: event.resource,
            userId: (event.requestContext.authorizer?.claims as Record<string, unknown> | undefined)?.[userIdClaim],
            status: response?.statusCode,
          }),
        }),
      )
      // After restErrors has answered an error (middy runs onError handlers last-added first).
      .use(restCors(config.corsAllowOrigins))
      .use(restErrors(config.presence.retryAfterSeconds)),
  );
}

/** The $connect authorizer: one log line per handshake (allowed, or refused and why; never the token). */
export function authorizerHandler(route: Route<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>) {
  return withTracing(
    build(route).use(
      invocationLog<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>({
        message: 'websocket authorizer',
        describe: (_event, response) => ({ effect: response?.policyDocument.Statement[0]?.Effect }),
      }),
    ),
  );
}

/**
 * A Step Functions task: invalid input is a typed error Step Functions can tell from an outage (which
 * it retries); one log line per task, at INFO only when the task did something (`busy`).
 */
export function taskHandler<E, R extends object>(name: string, busy: (result: InvocationFields) => boolean, route: Route<E, R>) {
  return withTracing(
    build(route)
      .use(
        invocationLog<E, R>({
          message: name,
          describe: (_event, response) => ({ ...(response ?? {}) }),
          quiet: (fields) => !busy(fields),
        }),
      )
      .use(taskErrors()),
  );
}
